import type { Container } from 'inversify';
import { CommandHandler, Projection, Query, Reactor } from './contributions';
import { EventTypeRegistry, type EventTypeDefinition } from './event-type-registry';
import type { Plugin } from './plugin';
import { PluginSetError, orderPlugins } from './plugin-order';

/** What one plugin contributes, for `chronovisor plugins` and the docs. */
export interface PluginContributions {
  readonly plugin: Plugin;
  readonly commands: readonly string[];
  readonly events: readonly string[];
  readonly projections: readonly string[];
  readonly reactors: readonly string[];
  readonly queries: readonly string[];
}

/** A plugin set loaded into a container: its contributions, checked against each other. */
export interface LoadedPluginSet {
  /** In dependency order. */
  readonly plugins: readonly PluginContributions[];
  readonly handlers: ReadonlyMap<string, CommandHandler>;
  readonly projections: readonly Projection[];
  readonly reactors: readonly Reactor[];
  readonly queries: readonly Query[];
  readonly eventTypes: EventTypeRegistry;
}

/** The kernel's own event types, declared like a plugin's. */
export const CORE_OWNER = '@chronovisor/core';
const COMMAND_TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/**
 * Loads a plugin set: orders it by dependency, loads each plugin's module in that order, and
 * collects what each one bound, refusing two plugins that claim the same command, projection or
 * query name, and projections or reactors listening for undeclared event types.
 */
export class PluginHost {
  /** The plugin set in dependency order. */
  readonly plugins: readonly Plugin[];

  constructor(plugins: readonly Plugin[]) {
    this.plugins = orderPlugins(plugins);
  }

  load(container: Container, coreEvents: readonly EventTypeDefinition[] = []): LoadedPluginSet {
    const eventTypes = new EventTypeRegistry();
    eventTypes.register(CORE_OWNER, coreEvents);
    for (const plugin of this.plugins)
      eventTypes.register(plugin.manifest.name, plugin.events ?? []);

    const handlers = new Map<string, CommandHandler>();
    const owners = new Map<string, string>();
    const claim = (kind: string, key: string, owner: string): void => {
      const previous = owners.get(`${kind}:${key}`);
      if (previous !== undefined) {
        throw new PluginSetError(
          'conflict',
          `${kind} "${key}" is contributed by both "${previous}" and "${owner}"`,
        );
      }
      owners.set(`${kind}:${key}`, owner);
    };

    const seen = { handlers: 0, projections: 0, reactors: 0, queries: 0 };
    // Loading one module at a time and taking what is new attributes each contribution to its plugin.
    const taken = <T>(token: symbol, key: keyof typeof seen): T[] => {
      const all = container.getAll<T>(token, { optional: true });
      const fresh = all.slice(seen[key]);
      seen[key] = all.length;
      return fresh;
    };

    const plugins: PluginContributions[] = [];
    const projections: Projection[] = [];
    const reactors: Reactor[] = [];
    const queries: Query[] = [];
    for (const plugin of this.plugins) {
      const name = plugin.manifest.name;
      container.loadSync(plugin.module);
      const newHandlers = taken<CommandHandler>(CommandHandler, 'handlers');
      const newProjections = taken<Projection>(Projection, 'projections');
      const newReactors = taken<Reactor>(Reactor, 'reactors');
      const newQueries = taken<Query>(Query, 'queries');

      for (const handler of newHandlers) {
        if (!COMMAND_TYPE_PATTERN.test(handler.type)) {
          throw new PluginSetError(
            'conflict',
            `Plugin "${name}" handles command "${handler.type}", which is not of the form <plugin>.<verb> in lowercase`,
          );
        }
        claim('Command', handler.type, name);
        handlers.set(handler.type, handler);
      }
      for (const projection of newProjections) claim('Projection', projection.name, name);
      for (const query of newQueries) claim('Query', query.name, name);
      for (const listener of [...newProjections, ...newReactors]) {
        for (const type of listener.eventTypes) {
          if (!eventTypes.has(type)) {
            throw new PluginSetError(
              'missing',
              `Plugin "${name}" listens for event type "${type}", which no plugin in the set declares`,
            );
          }
        }
      }

      projections.push(...newProjections);
      reactors.push(...newReactors);
      queries.push(...newQueries);
      plugins.push({
        plugin,
        commands: newHandlers.map((h) => h.type),
        events: (plugin.events ?? []).map((e) => e.type),
        projections: newProjections.map((p) => p.name),
        reactors: newReactors.map((r) => r.actor),
        queries: newQueries.map((q) => q.name),
      });
    }
    return { plugins, handlers, projections, reactors, queries, eventTypes };
  }
}
