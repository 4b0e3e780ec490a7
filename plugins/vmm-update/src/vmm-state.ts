import { digestOf, on, type Projection } from '@chronovisor/core';
import {
  guestAttached,
  guestBusy,
  packageRefused,
  updateReverted,
  updateStep,
  vmmInstalled,
  type UpdateStep,
  type UpdateStepData,
} from './vmm-events';

/** The VMM as it runs. */
export interface Vmm {
  readonly version: string;
  readonly partition: string;
  readonly space: number;
  /** Where its code is, in its space. */
  readonly va: number;
  readonly pages: number;
  readonly hypercalls: readonly string[];
  readonly compatible: Readonly<Record<string, string>>;
  /** Updates applied, in order. */
  readonly applied: readonly string[];
}

/** A guest on the VMM. */
export interface Guest {
  readonly vm: number;
  readonly extensions: Readonly<Record<string, string>>;
  readonly busy: boolean;
}

/** An update between its first step and its commit or revert. */
export interface UpdateInFlight {
  readonly id: string;
  readonly from: number;
  readonly step: UpdateStep;
  readonly staged?: { readonly va: number; readonly pages: number };
  readonly changes?: UpdateStepData['changes'];
}

/** What the run has done with updates. */
export interface UpdateCounts {
  readonly committed: number;
  readonly reverted: number;
  readonly refused: number;
  /** The last commit's blackout, µs. */
  readonly lastBlackoutMicros: number;
}

/** What a snapshot holds: all small, copied. */
export interface VmmSnapshot {
  readonly vmm?: Vmm;
  readonly guests: ReadonlyMap<number, Guest>;
  readonly update?: UpdateInFlight;
  readonly counts: UpdateCounts;
}

/**
 * The VMM, the guests on it with their extensions, and the update in flight: the VMM-update
 * plugin's projection. A revert puts every extension back at the version it had, and drops what
 * was staged, so the log alone shows a VMM and guests at the old versions or the new, never a mix.
 */
export class VmmState implements Projection<VmmSnapshot> {
  readonly name = 'vmm';

  private current: Vmm | undefined;
  private guests = new Map<number, Guest>();
  private inFlight: UpdateInFlight | undefined;
  private counts: UpdateCounts = { committed: 0, reverted: 0, refused: 0, lastBlackoutMicros: 0 };

  readonly listeners = [
    on(vmmInstalled, ({ data }) => {
      this.current = { ...data, applied: [] };
    }),
    on(guestAttached, ({ data }) => {
      this.guests = new Map(this.guests).set(data.vm, {
        vm: data.vm,
        extensions: data.extensions,
        busy: false,
      });
    }),
    on(guestBusy, ({ data }) => {
      this.guests = new Map(this.guests).set(data.vm, { ...this.guest(data.vm), busy: data.busy });
    }),
    on(packageRefused, () => {
      this.counts = { ...this.counts, refused: this.counts.refused + 1 };
    }),
    on(updateStep, ({ data }) => {
      const base = data.step === 'receive' ? { id: data.id, from: data.from } : this.inFlight!;
      this.inFlight = {
        ...base,
        step: data.step,
        ...(data.staged ? { staged: data.staged } : {}),
        ...(data.changes ? { changes: data.changes } : {}),
      };
      if (data.changes) this.applyChanges(data.changes, 'to');
      if (data.commit) {
        const vmm = this.current!;
        const staged = this.inFlight.staged!;
        this.current = {
          ...vmm,
          version: data.commit.to,
          hypercalls: data.commit.hypercalls,
          compatible: data.commit.compatible,
          va: staged.va,
          pages: staged.pages,
          applied: [...vmm.applied, data.id],
        };
        this.inFlight = undefined;
        this.counts = {
          ...this.counts,
          committed: this.counts.committed + 1,
          lastBlackoutMicros: data.commit.blackoutMicros,
        };
      }
    }),
    on(updateReverted, () => {
      if (this.inFlight?.changes) this.applyChanges(this.inFlight.changes, 'from');
      this.inFlight = undefined;
      this.counts = { ...this.counts, reverted: this.counts.reverted + 1 };
    }),
  ];

  get vmm(): Vmm | undefined {
    return this.current;
  }

  guest(vm: number): Guest {
    const g = this.guests.get(vm);
    if (!g) throw new Error(`VM ${vm} is not attached: its vmm.guest.attached is missing`);
    return g;
  }

  allGuests(): Guest[] {
    return [...this.guests.values()].sort((a, b) => a.vm - b.vm);
  }

  isAttached(vm: number): boolean {
    return this.guests.has(vm);
  }

  get update(): UpdateInFlight | undefined {
    return this.inFlight;
  }

  get tally(): UpdateCounts {
    return this.counts;
  }

  snapshot(): VmmSnapshot {
    return {
      ...(this.current ? { vmm: this.current } : {}),
      guests: this.guests,
      ...(this.inFlight ? { update: this.inFlight } : {}),
      counts: this.counts,
    };
  }

  restore(snapshot: VmmSnapshot): void {
    this.current = snapshot.vmm;
    this.guests = snapshot.guests as Map<number, Guest>;
    this.inFlight = snapshot.update;
    this.counts = snapshot.counts;
  }

  digest(): string {
    return digestOf([this.current ?? null, this.allGuests(), this.inFlight ?? null, this.counts]);
  }

  /** Each change's extension set to its new version (`to`), or back to the old (`from`: absent if it had none). */
  private applyChanges(changes: NonNullable<UpdateStepData['changes']>, side: 'from' | 'to'): void {
    const guests = new Map(this.guests);
    for (const change of changes) {
      const g = guests.get(change.vm)!;
      const extensions: Record<string, string> = { ...g.extensions };
      const version = change[side];
      if (version === undefined) delete extensions[change.name];
      else extensions[change.name] = version;
      guests.set(change.vm, { ...g, extensions });
    }
    this.guests = guests;
  }
}
