import { Projector, Simulation } from '@chronovisor/core';
import { createPartition, mmuPlugin } from '@chronovisor/mmu';
import fc from 'fast-check';
import { globalOverlayPlugin } from './global-overlay-plugin';
import { load, read, retire, write } from './overlay-commands';
import { OverlayQuery } from './overlay-query';

const int = (n: number, size = 4) => {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setInt32(0, n, true);
  return out;
};

function machine() {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 2048 }), globalOverlayPlugin()],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'app', frames: 1024 });
  return { sim, query: sim.get(OverlayQuery) };
}

describe('the global-variable overlay', () => {
  it('shares common globals between running versions, gives added ones their own bytes, transforms a retyped one', () => {
    const { sim, query } = machine();
    const v1 = [
      { name: 'counter', type: 'int', size: 4, initial: int(5) },
      { name: 'total', type: 'long', size: 8 },
    ];
    expect(
      sim.dispatch(load, { program: 'srv', version: 'v1', partition: 'app', globals: v1 }).ok,
    ).toBe(true);
    const v2 = [
      { name: 'counter', type: 'long', size: 8 },
      { name: 'total', type: 'long', size: 8 },
      { name: 'errors', type: 'int', size: 4, initial: int(1) },
    ];
    // A retyped global without a transformer: refused, naming it.
    const refused = sim.dispatch(load, {
      program: 'srv',
      version: 'v2',
      partition: 'app',
      globals: v2,
    });
    expect(refused.rejection?.message).toMatch(
      /changes a global without a transformer: counter \(int, 4 bytes → long, 8 bytes\)/,
    );
    const loaded = sim.dispatch(load, {
      program: 'srv',
      version: 'v2',
      partition: 'app',
      globals: v2,
      transformers: { counter: { kind: 'extend', signed: true } },
    });
    expect(loaded.ok).toBe(true);
    const value = (version: string, global: string) =>
      sim.dispatch(read, { program: 'srv', version, global }).value!;
    expect(value('v2', 'counter')).toEqual(int(5, 8)); // carried over, widened
    // A write by one version to a common global is seen by the other: the same physical bytes.
    sim.dispatch(write, { program: 'srv', version: 'v1', global: 'total', data: int(42, 8) });
    expect(value('v2', 'total')).toEqual(int(42, 8));
    sim.dispatch(write, { program: 'srv', version: 'v2', global: 'counter', data: int(9, 8) });
    expect(value('v1', 'counter')).toEqual(int(5)); // not shared: v1's int stays its own
    const [srv] = query.programs();
    expect(srv!.slots.map((s) => [s.name, s.users])).toEqual([
      ['counter', ['v1']],
      ['total', ['v1', 'v2']],
      ['counter', ['v2']],
      ['errors', ['v2']],
    ]);
    // Rollback: retiring v2 frees its own globals and reports the common value it changed.
    sim.dispatch(write, { program: 'srv', version: 'v2', global: 'total', data: int(7, 8) });
    sim.dispatch(retire, { program: 'srv', version: 'v2' });
    const retired = [...sim.store.read(1)].find((r) => r.type === 'overlay.version.retired');
    expect(retired).toMatchObject({ data: { freed: ['counter', 'errors'], changed: ['total'] } });
    expect(value('v1', 'counter')).toEqual(int(5));
    expect(value('v1', 'total')).toEqual(int(7, 8));
  });

  it('keeps every live version reading what was last written to each of its globals, for any history', () => {
    type Step =
      | { op: 'load'; add: number[]; drop: number[]; retype: number[]; transform: boolean }
      | { op: 'write'; version: number; global: number; value: number }
      | { op: 'retire'; version: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('load' as const),
          add: fc.array(fc.nat(7), { maxLength: 3 }),
          drop: fc.array(fc.nat(7), { maxLength: 2 }),
          retype: fc.array(fc.nat(7), { maxLength: 2 }),
          transform: fc.boolean(),
        }),
      },
      {
        weight: 5,
        arbitrary: fc.record({
          op: fc.constant('write' as const),
          version: fc.nat(10),
          global: fc.nat(7),
          value: fc.integer({ min: -1000, max: 1000 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('retire' as const), version: fc.nat(10) }),
      },
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const { sim, query } = machine();
        // The model: each live version's globals (name → size), and each allocation's value.
        type Decl = { name: string; size: number };
        const live = new Map<string, Map<string, number>>(); // version → name → slot key, in load order
        const sizes = new Map<string, number>(); // slot key → size
        const values = new Map<string, number>(); // slot key → last value written
        let keys = 0;
        let versions = 0;
        let current: Decl[] = [];
        for (const step of steps) {
          if (step.op === 'load') {
            const next = new Map<string, Decl>(current.map((d) => [d.name, d]));
            for (const g of step.drop) next.delete(`g${g}`);
            for (const g of step.add)
              if (!next.has(`g${g}`)) next.set(`g${g}`, { name: `g${g}`, size: 4 });
            const retyped = new Set(step.retype.map((g) => `g${g}`).filter((n) => next.has(n)));
            for (const n of retyped)
              next.set(n, { name: n, size: next.get(n)!.size === 4 ? 8 : 4 });
            const decls = [...next.values()];
            const version = `v${versions}`;
            // The slot a live version (the newest first) binds a name to.
            const had = (name: string) =>
              [...live.values()]
                .reverse()
                .map((m) => m.get(name))
                .find((k) => k !== undefined);
            const result = sim.dispatch(load, {
              program: 'p',
              version,
              partition: 'app',
              globals: decls.map((d) => ({ name: d.name, type: `i${d.size * 8}`, size: d.size })),
              transformers: step.transform
                ? Object.fromEntries([...retyped].map((n) => [n, { kind: 'copy' as const }]))
                : {},
            });
            // Refused exactly when a global a live version has changes size without a transformer
            // (given only for the names this load retypes: one dropped and added back at another
            // size has none).
            const mustRefuse = decls.some(
              (d) =>
                had(d.name) !== undefined &&
                sizes.get(String(had(d.name))) !== d.size &&
                !(step.transform && retyped.has(d.name)),
            );
            expect(result.ok).toBe(!mustRefuse);
            if (!result.ok) continue;
            versions++;
            const mine = new Map<string, number>();
            for (const d of decls) {
              const old = had(d.name);
              if (old !== undefined && sizes.get(String(old)) === d.size) mine.set(d.name, old);
              else {
                const key = ++keys;
                sizes.set(String(key), d.size);
                // Transformed (copy): the old value's low bytes carried over; added: zero.
                values.set(String(key), old !== undefined ? (values.get(String(old)) ?? 0) : 0);
                mine.set(d.name, key);
              }
            }
            live.set(version, mine);
            current = decls;
          } else {
            const names = [...live.keys()];
            if (names.length === 0) continue;
            const version = names[step.version % names.length]!;
            if (step.op === 'retire') {
              sim.dispatch(retire, { program: 'p', version });
              live.delete(version);
              continue;
            }
            const globals = [...live.get(version)!.keys()];
            if (globals.length === 0) continue;
            const global = globals[step.global % globals.length]!;
            const key = String(live.get(version)!.get(global)!);
            expect(
              sim.dispatch(write, { program: 'p', version, global, data: int(step.value, 4) }).ok,
            ).toBe(true);
            values.set(key, step.value);
          }
          // Every live version reads, in each of its globals, the last value written to its bytes.
          for (const [version, globals] of live)
            for (const [global, key] of globals) {
              const bytes = sim.dispatch(read, { program: 'p', version, global }).value!;
              expect(new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true)).toBe(
                values.get(String(key)),
              );
            }
          // No two distinct live globals share a byte.
          const slots = query.programs()[0]?.slots ?? [];
          for (let i = 0; i < slots.length; i++)
            for (let j = i + 1; j < slots.length; j++) {
              const [a, b] = [slots[i]!, slots[j]!];
              expect(a.offset + a.size <= b.offset || b.offset + b.size <= a.offset).toBe(true);
            }
        }
        const projector = new Projector([mmuPlugin({ frames: 2048 }), globalOverlayPlugin()], 1);
        for (const r of sim.store.read(1)) if (r.kind === 'event') projector.apply(r);
        expect(projector.digest()).toBe(sim.digest());
      }),
      { numRuns: 80 },
    );
  });
});
