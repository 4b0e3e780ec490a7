import type { Container, ServiceIdentifier } from 'inversify';
import { ClockImpl } from './clock';
import { createEventBus } from './event-bus';
import type { EventTypeRegistry } from './event-type-registry';
import { bootPlugins } from './kernel-container';
import type { Plugin } from './plugin';
import type { EventRecord } from './record';
import { Xoshiro128StarStar } from './rng';
import { buildRoutes, type Route } from './routing-table';
import { CORE_EVENTS } from './core-events';
import { stateDigest } from './state-digest';
import type { Projection } from './contributions';

/** A captured {@link Projector}: each projection's snapshot and the clock. */
export interface ProjectorSnapshot {
  readonly tick: number;
  readonly projections: readonly unknown[];
}

/**
 * A plugin set's projections without its handlers and reactors: state rebuilt by folding recorded
 * events, for state replay and time travel. Old events are read through their upcasters. Nothing
 * is recorded and no reactor runs.
 */
export class Projector {
  readonly eventTypes: EventTypeRegistry;
  private readonly container: Container;
  private readonly projections: readonly Projection[];
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly clock = new ClockImpl();

  constructor(plugins: readonly Plugin[], seed = 0) {
    const { container, loaded } = bootPlugins(
      plugins,
      {
        clock: this.clock,
        rng: new Xoshiro128StarStar(seed),
        bus: createEventBus().bus,
      },
      CORE_EVENTS,
    );
    this.container = container;
    this.eventTypes = loaded.eventTypes;
    this.projections = loaded.projections;
    this.routes = buildRoutes(loaded);
  }

  /** Applies a recorded event to the projections that route it (after upcasting it). */
  apply(event: EventRecord): void {
    const current = this.eventTypes.upcast(event);
    this.clock.tick = current.tick;
    const appliers = this.routes.get(current.type)!.appliers;
    for (let i = 0; i < appliers.length; i++) appliers[i]!(current);
  }

  digest(): string {
    return stateDigest(this.projections);
  }

  projectionDigests(): Record<string, string> {
    return Object.fromEntries(this.projections.map((p) => [p.name, p.digest()]));
  }

  /** A service of the plugin set, such as a query, reading the folded state. */
  get<T>(token: ServiceIdentifier<T>): T {
    return this.container.get<T>(token);
  }

  /** Every service bound to a token, such as every plugin's query. */
  getAll<T>(token: ServiceIdentifier<T>): T[] {
    return this.container.getAll<T>(token, { optional: true });
  }

  /** The memory these snapshots hold together, as the projections that can tell estimate it. */
  snapshotBytes(snapshots: readonly ProjectorSnapshot[]): number {
    let bytes = 0;
    this.projections.forEach((p, i) => {
      if (p.snapshotBytes) bytes += p.snapshotBytes(snapshots.map((s) => s.projections[i]));
    });
    return bytes;
  }

  /** Bytes of state the projections have made so far (a running count; see `snapshotBytes`). */
  allocatedBytes(): number {
    let bytes = 0;
    for (const p of this.projections) bytes += p.allocatedBytes?.() ?? 0;
    return bytes;
  }

  /** Asks every projection for snapshots that build on each other (see `Projection.incrementalSnapshots`). */
  incrementalSnapshots(): void {
    for (const p of this.projections) p.incrementalSnapshots?.();
  }

  /** Lets the projections shed what these snapshots can rebuild; false when none could (see `Projection.shed`). */
  shed(snapshots: readonly ProjectorSnapshot[]): boolean {
    let shed = false;
    this.projections.forEach((p, i) => {
      if (p.shed?.(snapshots.map((s) => s.projections[i]))) shed = true;
    });
    return shed;
  }

  snapshot(): ProjectorSnapshot {
    return { tick: this.clock.tick, projections: this.projections.map((p) => p.snapshot()) };
  }

  restore(snapshot: ProjectorSnapshot): void {
    this.clock.tick = snapshot.tick;
    this.projections.forEach((p, i) => p.restore(snapshot.projections[i]));
  }

  /** A snapshot as structured-clone data, to keep in a file (see `Projection.snapshotToData`). */
  snapshotToData(snapshot: ProjectorSnapshot): ProjectorSnapshot {
    return {
      tick: snapshot.tick,
      projections: this.projections.map((p, i) => {
        const state = snapshot.projections[i];
        return p.snapshotToData ? p.snapshotToData(state) : state;
      }),
    };
  }

  /** The snapshot that {@link Projector.snapshotToData} made data of. */
  snapshotFromData(data: ProjectorSnapshot): ProjectorSnapshot {
    if (data.projections.length !== this.projections.length)
      throw new Error(
        `The snapshot holds ${data.projections.length} projections; this plugin set has ${this.projections.length}`,
      );
    return {
      tick: data.tick,
      projections: this.projections.map((p, i) => {
        const state = data.projections[i];
        return p.snapshotFromData ? p.snapshotFromData(state) : state;
      }),
    };
  }
}
