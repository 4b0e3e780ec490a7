import { Container } from 'inversify';
import { Clock, ClockImpl } from './clock';
import { EventBus } from './event-bus';
import type { EventTypeDefinition } from './event-type-registry';
import type { Plugin } from './plugin';
import { PluginHost, type LoadedPluginSet } from './plugin-host';
import { Rng, type Xoshiro128StarStar } from './rng';
import { Store } from './store';

/** The services the kernel gives every plugin set. */
export interface KernelServices {
  readonly clock: ClockImpl;
  readonly rng: Xoshiro128StarStar;
  readonly bus: EventBus;
  readonly store: Store;
}

/** A container with the kernel's services bound and the plugin set loaded into it, in dependency order. */
export function bootPlugins(
  plugins: readonly Plugin[],
  services: KernelServices,
  coreEvents: readonly EventTypeDefinition[],
): { container: Container; loaded: LoadedPluginSet } {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(Clock).toConstantValue(services.clock);
  container.bind(Rng).toConstantValue(services.rng);
  container.bind(EventBus).toConstantValue(services.bus);
  container.bind(Store).toConstantValue(services.store);
  const loaded = new PluginHost(plugins).load(container, coreEvents);
  return { container, loaded };
}
