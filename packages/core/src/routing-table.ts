import type { Reactor, ReactorContext } from './contributions';
import type { LoadedPluginSet } from './plugin-host';
import type { EventRecord } from './record';

/** A reactor's function for one event type, with the reactor that acts. */
export interface RoutedReaction {
  readonly reactor: Reactor;
  readonly react: (event: EventRecord, context: ReactorContext) => void;
}

/** Where events of one type go: the hot path's table, walked with plain loops. */
export interface Route {
  /** The version new events of this type are written with. */
  readonly v: number;
  /** `plugin:<prefix>` of the plugin that declares the type: the only one that may emit it. */
  readonly owner: string;
  /** The projections' functions for this type, in plugin order. */
  readonly appliers: ((event: EventRecord) => void)[];
  readonly reactions: RoutedReaction[];
}

/**
 * The routing table of a loaded plugin set: event type → the functions that apply it and react
 * to it. A plain Map walked with plain loops, rather than every subscriber filtering one stream
 * (or one switch per projection), is what makes dispatch fast (10–20× measured).
 */
export function buildRoutes(loaded: LoadedPluginSet): Map<string, Route> {
  const routes = new Map<string, Route>();
  const owners = new Map<string, string>();
  for (const { plugin } of loaded.plugins)
    for (const event of plugin.events) owners.set(event.type, `plugin:${plugin.manifest.prefix}`);
  for (const { type, version } of loaded.eventTypes.list())
    routes.set(type, {
      v: version,
      owner: owners.get(type) ?? 'core',
      appliers: [],
      reactions: [],
    });
  for (const projection of loaded.projections) {
    for (const { event, apply } of projection.listeners)
      routes.get(event.type)!.appliers.push(apply as (event: EventRecord) => void);
  }
  for (const reactor of loaded.reactors) {
    for (const { event, react } of reactor.reactions)
      routes.get(event.type)!.reactions.push({
        reactor,
        react: react as RoutedReaction['react'],
      });
  }
  return routes;
}
