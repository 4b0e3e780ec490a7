import { Container } from 'inversify';
import { Clock, ClockImpl } from './clock';
import { EventBus } from './event-bus';
import type { EventType } from './declarations';
import type { Plugin } from './plugin';
import { PluginHost, type LoadedPluginSet } from './plugin-host';
import { Rng, type Xoshiro128StarStar } from './rng';

/**
 * The services the kernel gives every plugin set. The store is not among them, and the bus is
 * read-only: only the kernel appends to the log and publishes.
 */
export interface KernelServices {
  readonly clock: ClockImpl;
  readonly rng: Xoshiro128StarStar;
  readonly bus: EventBus;
}

/** A container with the kernel's services bound and the plugin set loaded into it, in dependency order. */
export function bootPlugins(
  plugins: readonly Plugin[],
  services: KernelServices,
  coreEvents: readonly EventType[],
): { container: Container; loaded: LoadedPluginSet } {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(Clock).toConstantValue(services.clock);
  container.bind(Rng).toConstantValue(services.rng);
  container.bind(EventBus).toConstantValue(services.bus);
  const loaded = new PluginHost(plugins).load(container, coreEvents);
  return { container, loaded };
}
