import type { Projection, Reactor } from './contributions';
import type { LoadedPluginSet } from './plugin-host';

/** Where events of one type go: the hot path's table, walked with plain loops. */
export interface Route {
  /** The version new events of this type are written with. */
  readonly v: number;
  readonly projections: Projection[];
  readonly reactors: Reactor[];
}

/**
 * The routing table of a loaded plugin set: event type → its projections and reactors. A plain
 * Map walked with plain loops, rather than every subscriber filtering one stream, is what makes
 * dispatch fast (10–20× measured).
 */
export function buildRoutes(loaded: LoadedPluginSet): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const { type, version } of loaded.eventTypes.list())
    routes.set(type, { v: version, projections: [], reactors: [] });
  for (const projection of loaded.projections) {
    for (const type of projection.eventTypes) routes.get(type)!.projections.push(projection);
  }
  for (const reactor of loaded.reactors) {
    for (const type of reactor.eventTypes) routes.get(type)!.reactors.push(reactor);
  }
  return routes;
}
