import type { Container } from 'inversify';
import { CommandHandlers, Projection, Query, Reactor, type CommandHandler } from './contributions';
import type { CommandType, EventType } from './declarations';
import { EventTypeRegistry } from './event-type-registry';
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

/** A handler as the kernel runs it: with the plugin that acts when it is called from inside. */
export interface BoundHandler {
  readonly command: CommandType;
  readonly execute: CommandHandler['execute'];
  /** `plugin:<prefix>`: the actor of the commands it calls. */
  readonly actor: string;
}

/** A plugin set loaded into a container: its contributions, checked against each other. */
export interface LoadedPluginSet {
  /** In dependency order. */
  readonly plugins: readonly PluginContributions[];
  readonly handlers: ReadonlyMap<string, BoundHandler>;
  readonly projections: readonly Projection[];
  readonly reactors: readonly Reactor[];
  readonly queries: readonly Query[];
  readonly eventTypes: EventTypeRegistry;
}

/** The kernel's own event types are declared like a plugin's, by this owner. */
export const CORE_OWNER = '@chronovisor/core';

/**
 * Loads a plugin set: orders it by dependency, loads each plugin's module in that order, and
 * collects what each one bound. It refuses, naming the plugin and the type: a command or event
 * type outside the plugin's prefix or declared twice, a command with no handler or two, a handler
 * for a command its plugin does not declare, two projections or queries of one name, and
 * projections or reactors listening for event types no plugin declares.
 */
export class PluginHost {
  /** The plugin set in dependency order. */
  readonly plugins: readonly Plugin[];

  constructor(plugins: readonly Plugin[]) {
    this.plugins = orderPlugins(plugins);
  }

  load(container: Container, coreEvents: readonly EventType[] = []): LoadedPluginSet {
    const eventTypes = new EventTypeRegistry();
    eventTypes.register(CORE_OWNER, coreEvents);
    const owners = new Map<string, string>();
    const claim = (kind: string, key: string, owner: string): void => {
      const previous = owners.get(`${kind}:${key}`);
      if (previous !== undefined) {
        throw new PluginSetError(
          'conflict',
          `${kind} "${key}" is ${kind.endsWith('type') ? 'declared' : 'contributed'} by both "${previous}" and "${owner}"`,
        );
      }
      owners.set(`${kind}:${key}`, owner);
    };
    for (const { type } of coreEvents) claim('Event type', type, CORE_OWNER);
    for (const plugin of this.plugins) {
      const { name, prefix } = plugin.manifest;
      for (const declared of [...plugin.commands, ...plugin.events]) {
        const kind = declared.kind === 'command' ? 'Command type' : 'Event type';
        if (!declared.type.startsWith(`${prefix}.`))
          throw new PluginSetError(
            'conflict',
            `Plugin "${name}" declares ${kind.toLowerCase()} "${declared.type}", which does not start with its prefix "${prefix}."`,
          );
        claim(kind, declared.type, name);
      }
      eventTypes.register(name, plugin.events);
    }

    const seen = { handlers: 0, projections: 0, reactors: 0, queries: 0 };
    // Loading one module at a time and taking what is new attributes each contribution to its plugin.
    const taken = <T>(token: symbol, key: keyof typeof seen): T[] => {
      const all = container.getAll<T>(token, { optional: true });
      const fresh = all.slice(seen[key]);
      seen[key] = all.length;
      return fresh;
    };

    const handlers = new Map<string, BoundHandler>();
    const plugins: PluginContributions[] = [];
    const projections: Projection[] = [];
    const reactors: Reactor[] = [];
    const queries: Query[] = [];
    for (const plugin of this.plugins) {
      const { name, prefix } = plugin.manifest;
      container.loadSync(plugin.module);
      const newHandlers = taken<CommandHandlers>(CommandHandlers, 'handlers').flatMap(
        (contribution) => contribution.handlers,
      );
      const newProjections = taken<Projection>(Projection, 'projections');
      const newReactors = taken<Reactor>(Reactor, 'reactors');
      const newQueries = taken<Query>(Query, 'queries');

      const declared = new Set(plugin.commands);
      for (const { command, execute } of newHandlers) {
        if (!declared.has(command))
          throw new PluginSetError(
            'conflict',
            `Plugin "${name}" handles command "${command.type}", which it does not declare in its commands`,
          );
        if (handlers.has(command.type))
          throw new PluginSetError(
            'conflict',
            `Plugin "${name}" handles command "${command.type}" twice`,
          );
        handlers.set(command.type, { command, execute, actor: `plugin:${prefix}` });
      }
      for (const command of plugin.commands) {
        if (!handlers.has(command.type))
          throw new PluginSetError(
            'missing',
            `Plugin "${name}" declares command "${command.type}" but no handler for it`,
          );
      }
      for (const projection of newProjections) claim('Projection', projection.name, name);
      for (const query of newQueries) claim('Query', query.name, name);
      const listened = [
        ...newProjections.flatMap((p) => p.listeners.map((l) => l.event)),
        ...newReactors.flatMap((r) => r.reactions.map((l) => l.event)),
      ];
      for (const event of listened) {
        if (!eventTypes.has(event.type)) {
          throw new PluginSetError(
            'missing',
            `Plugin "${name}" listens for event type "${event.type}", which no plugin in the set declares`,
          );
        }
      }

      projections.push(...newProjections);
      reactors.push(...newReactors);
      queries.push(...newQueries);
      plugins.push({
        plugin,
        commands: plugin.commands.map((c) => c.type),
        events: plugin.events.map((e) => e.type),
        projections: newProjections.map((p) => p.name),
        reactors: newReactors.map((r) => r.actor),
        queries: newQueries.map((q) => q.name),
      });
    }
    return { plugins, handlers, projections, reactors, queries, eventTypes };
  }
}
