import { Projector } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import fc from 'fast-check';
import { close, create, duplicate, fork, resolve } from './handles-commands';
import type { HandleCreated, RejectionReason } from './handles-events';
import { REUSE_POLICIES, type HandlesOptions } from './handles-options';
import { handlesPlugin } from './handles-plugin';
import { handlesMachine } from './test-support/handles-machine';

/*
 * Model-based test: random programs of create, duplicate (within and across spaces), close,
 * resolve and fork, with good, closed, stale and forged handles, against a reference model: a map
 * of open handle values per space, the set of values each space ever handed out, and free lists
 * kept as plain arrays in the policy's order. The model predicts every handle value, so every
 * result must equal it. A value handed out again must be exactly one whose slot's identifiers
 * have all been used (wrapped), and reported so; until then a closed handle is always refused.
 */

type Op =
  | { op: 'create'; space: number; type: 'file' | 'event' }
  | { op: 'duplicate'; space: number; pick: number; live: boolean; to: number }
  | { op: 'close'; space: number; pick: number; live: boolean }
  | { op: 'resolve'; space: number; pick: number; live: boolean; type?: 'file' | 'event' }
  | { op: 'fork'; space: number };

const space = fc.nat(3);
const pick = fc.nat(10_000);
/** Pick among the space's open handles (else among every value seen, mostly closed and stale). */
const live = fc.boolean();
const typeArb = fc.constantFrom('file' as const, 'event' as const);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('create' as const), space, type: typeArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('duplicate' as const), space, pick, live, to: space }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('close' as const), space, pick, live }) },
  {
    weight: 5,
    arbitrary: fc.record(
      { op: fc.constant('resolve' as const), space, pick, live, type: typeArb },
      { requiredKeys: ['op', 'space', 'pick', 'live'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fork' as const), space }) },
);

const optionsArb = fc.record({
  reuse: fc.constantFrom(...REUSE_POLICIES),
  reuseDelay: fc.integer({ min: 1, max: 3 }),
  identifierBits: fc.integer({ min: 0, max: 3 }),
  indexBits: fc.constant(6),
  leafEntries: fc.constantFrom(2, 4),
  pointersPerTable: fc.constantFrom(2, 4),
  maxLevels: fc.integer({ min: 1, max: 3 }),
});

interface Slot {
  identifier: number;
  issues: number;
  /** 0 when free. */
  object: number;
}

interface SpaceModel {
  readonly id: number;
  slots: Slot[];
  fresh: number;
  free: number[];
  issued: Set<number>;
}

class Model {
  readonly spaces: SpaceModel[] = [];
  readonly handles = new Map<number, number>(); // object → handles
  readonly types = new Map<number, string>();
  made = 0;
  readonly span: number;
  readonly identifiers: number;
  readonly limit: number;

  constructor(private readonly o: Required<HandlesOptions>) {
    this.span = 2 ** o.indexBits;
    this.identifiers = 2 ** o.identifierBits;
    this.limit = Math.min(this.span, o.leafEntries * o.pointersPerTable ** (o.maxLevels - 1));
  }

  addSpace(id: number, from?: SpaceModel): void {
    this.spaces.push(
      from
        ? {
            id,
            slots: from.slots.map((s) => ({ ...s })),
            fresh: from.fresh,
            free: from.free.slice(),
            issued: new Set(from.issued),
          }
        : { id, slots: [], fresh: 1, free: [], issued: new Set() },
    );
  }

  /** The handle a create in `s` hands out, or undefined when the table is full. */
  issue(
    s: SpaceModel,
    object: number,
  ): { handle: number; reused: boolean; wrapped: boolean } | undefined {
    const wait = this.o.reuse === 'delayed' ? this.o.reuseDelay : 0;
    let index: number;
    let reused = true;
    if (s.free.length > wait) index = this.takeFree(s);
    else if (s.fresh < this.limit) {
      index = s.fresh++;
      s.slots[index] = { identifier: 0, issues: 0, object: 0 };
      reused = false;
    } else if (s.free.length > 0) index = this.takeFree(s);
    else return undefined;
    const slot = s.slots[index]!;
    const handle = slot.identifier * this.span + index;
    const wrapped = s.issued.has(handle);
    s.issued.add(handle);
    slot.issues++;
    slot.object = object;
    this.handles.set(object, (this.handles.get(object) ?? 0) + 1);
    return { handle, reused, wrapped };
  }

  verdict(
    s: SpaceModel,
    handle: number,
  ): { ok: true; object: number } | { ok: false; reason: RejectionReason } {
    const index = handle % this.span;
    const identifier = Math.floor(handle / this.span);
    if (index === 0 || index >= s.fresh || identifier >= this.identifiers)
      return { ok: false, reason: 'invalid' };
    const slot = s.slots[index]!;
    if (slot.object !== 0 && slot.identifier === identifier)
      return { ok: true, object: slot.object };
    if (!s.issued.has(handle)) return { ok: false, reason: 'forged' };
    return { ok: false, reason: slot.object === 0 ? 'closed' : 'stale' };
  }

  /** The space's open handle values. */
  open(s: SpaceModel): number[] {
    const values: number[] = [];
    s.slots.forEach((slot, index) => {
      if (slot.object !== 0) values.push(slot.identifier * this.span + index);
    });
    return values;
  }

  close(s: SpaceModel, handle: number): void {
    const index = handle % this.span;
    const slot = s.slots[index]!;
    this.handles.set(slot.object, this.handles.get(slot.object)! - 1);
    slot.object = 0;
    slot.identifier = (slot.identifier + 1) % this.identifiers;
    s.free.push(index);
  }

  private takeFree(s: SpaceModel): number {
    return this.o.reuse === 'lifo' ? s.free.pop()! : s.free.shift()!;
  }
}

describe('handle tables against a reference model', () => {
  it('give the model’s results for any program of create, duplicate, close, resolve and fork', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (options, ops) => {
        const o = { ...options, base: 2 ** 37 } as Required<HandlesOptions>;
        const { sim, space: first, query, eventsAfter } = handlesMachine(o);
        const model = new Model(o);
        model.addSpace(first);
        const pool: number[] = [1, 2 ** 6 + 1, 3 * 2 ** 6 + 2]; // a few forged values to start
        for (const step of ops) {
          const s = model.spaces[step.space % model.spaces.length]!;
          const open = 'live' in step && step.live ? model.open(s) : [];
          const from = open.length > 0 ? open : pool;
          const value = 'pick' in step ? from[step.pick % from.length]! : 0;
          const before = sim.seq;
          if (step.op === 'create' || step.op === 'duplicate') {
            let object: number;
            let target = s;
            if (step.op === 'duplicate') {
              const verdict = model.verdict(s, value);
              const result = sim.dispatch(duplicate, {
                space: s.id,
                handle: value,
                to: (target = model.spaces[step.to % model.spaces.length]!).id,
              });
              if (!verdict.ok) {
                expect(result.value).toMatchObject({
                  ok: false,
                  rejection: { reason: verdict.reason },
                });
                continue;
              }
              object = verdict.object;
            } else object = model.made + 1;
            const expected = model.issue(target, object);
            if (step.op === 'create') {
              const result = sim.dispatch(create, { space: s.id, type: step.type });
              if (!expected) {
                expect(result.ok).toBe(false);
                continue;
              }
              model.made++;
              model.types.set(object, step.type);
              expect(result.value).toBe(expected.handle);
            } else if (!expected) {
              expect(sim.seq).toBe(before + 1); // refused: only the command's record
              continue;
            }
            const created = eventsAfter(before).find((e) => e.type === 'handles.handle.created')!;
            const data = created.data as HandleCreated;
            expect(data).toMatchObject({
              handle: expected.handle,
              reused: expected.reused,
              wrapped: expected.wrapped,
            });
            pool.push(expected.handle);
          } else if (step.op === 'close') {
            const verdict = model.verdict(s, value);
            const result = sim.dispatch(close, { space: s.id, handle: value });
            if (verdict.ok) {
              expect(result.value).toEqual({ ok: true });
              model.close(s, value);
            } else
              expect(result.value).toMatchObject({
                ok: false,
                rejection: { reason: verdict.reason },
              });
          } else if (step.op === 'resolve') {
            const verdict = model.verdict(s, value);
            const args =
              step.type === undefined
                ? { space: s.id, handle: value }
                : { space: s.id, handle: value, type: step.type };
            const result = sim.dispatch(resolve, args);
            if (!verdict.ok)
              expect(result.value).toMatchObject({
                ok: false,
                rejection: { reason: verdict.reason },
              });
            else if (step.type !== undefined && model.types.get(verdict.object) !== step.type)
              expect(result.value).toMatchObject({
                ok: false,
                rejection: { reason: 'wrong-type' },
              });
            else
              expect(result.value).toEqual({
                ok: true,
                object: verdict.object,
                type: model.types.get(verdict.object),
              });
          } else {
            const result = sim.dispatch(fork, { space: s.id });
            expect(result.ok).toBe(true);
            model.addSpace(result.value!, s);
            // An inherited handle names the same object from one more table.
            for (const slot of s.slots)
              if (slot && slot.object !== 0)
                model.handles.set(slot.object, model.handles.get(slot.object)! + 1);
          }
          // Every value the program has seen resolves in every space as the model says.
          for (const m of model.spaces)
            for (const v of pool) {
              const verdict = model.verdict(m, v);
              expect(query.lookup(m.id, v)).toBe(verdict.ok ? verdict.object : 0);
            }
        }
        const live = [...model.handles.values()].filter((n) => n > 0).length;
        expect(query.stats().objects).toEqual({ made: model.made, live });
        // The log alone rebuilds the same state.
        const projector = new Projector([mmuPlugin({ frames: 1024 }), handlesPlugin(o)], 1);
        for (const record of sim.store.read(1))
          if (record.kind === 'event') projector.apply(record);
        expect(projector.digest()).toBe(sim.digest());
      }),
      { numRuns: 150 },
    );
  });
});

describe('handle table snapshots', () => {
  it('restore to the state they were taken at, untouched by what was applied after them', () => {
    fc.assert(
      fc.property(
        optionsArb,
        fc.array(opArb, { maxLength: 80 }),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }),
        (options, ops, cuts) => {
          const o = { ...options, base: 2 ** 37 };
          const { sim } = handlesMachine(o);
          const model = new Model(o);
          model.addSpace(1);
          for (const step of ops) {
            const s = model.spaces[step.space % model.spaces.length]!;
            const handles = model.open(s);
            const handle =
              'pick' in step && handles.length > 0 ? handles[step.pick % handles.length]! : 1;
            if (step.op === 'create') sim.dispatch(create, { space: s.id, type: step.type });
            else if (step.op === 'close') {
              if (sim.dispatch(close, { space: s.id, handle }).value?.ok) model.close(s, handle);
            } else if (step.op === 'fork') {
              const child = sim.dispatch(fork, { space: s.id }).value!;
              model.addSpace(child, s);
            } else sim.dispatch(resolve, { space: s.id, handle });
            if (step.op === 'create') {
              const last = [...sim.store.read(sim.seq)][0];
              if (last?.type === 'handles.handle.created') model.issue(s, 1);
            }
          }
          const events = [...sim.store.read(1)].filter((r) => r.kind === 'event');
          const projector = new Projector([mmuPlugin({ frames: 1024 }), handlesPlugin(o)], 1);
          const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort(
            (a, b) => a - b,
          );
          const snapshots: {
            at: number;
            snapshot: ReturnType<Projector['snapshot']>;
            digest: string;
          }[] = [];
          events.forEach((event, i) => {
            if (points.includes(i))
              snapshots.push({ at: i, snapshot: projector.snapshot(), digest: projector.digest() });
            projector.apply(event);
          });
          const end = projector.digest();
          expect(end).toBe(sim.digest());
          // Back to each snapshot, latest first, then forwards again to the end.
          for (const { at, snapshot, digest } of snapshots.reverse()) {
            projector.restore(snapshot);
            expect(projector.digest()).toBe(digest);
            events.slice(at).forEach((event) => projector.apply(event));
            expect(projector.digest()).toBe(end);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
