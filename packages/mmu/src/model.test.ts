import fc from 'fast-check';
import { machine } from './test-support/machine';
import {
  createPartition,
  createSpace,
  fork,
  map,
  protect,
  read,
  remap,
  share,
  unmap,
  write,
} from './mmu-commands';

/*
 * Model-based test: random sequences of MMU commands run against the real MMU and against a
 * reference model small enough to be obviously right. The model has no TLB, no page tables, no
 * reference counts and no copy on write: a fork copies private pages at once. Every read must
 * return the same bytes, every fault be of the same kind, every refusal match, and at the end
 * every space must hold the same bytes at the same addresses.
 */

const PAGE = 512;
const PAGES = 8; // virtual pages 0..7 in each space
const PARTITIONS = ['a', 'b'] as const;

type Perms = 'r--' | 'rw-' | 'r-x' | 'rwx' | '---';
type Op =
  | { op: 'map'; space: number; page: number; pages: number; perms: Perms }
  | { op: 'unmap'; space: number; page: number; pages: number }
  | { op: 'protect'; space: number; page: number; pages: number; perms: Perms }
  | { op: 'share'; from: number; page: number; pages: number; to: number; toPage: number }
  | { op: 'remap'; from: number; page: number; pages: number; to: number; toPage: number }
  | { op: 'fork'; space: number }
  | { op: 'read'; space: number; va: number; length: number; access: 'read' | 'execute' }
  | { op: 'write'; space: number; va: number; data: number[] };

// ---- the reference model ------------------------------------------------------------------

interface Frame {
  bytes: Uint8Array;
  readonly partition: string;
}
interface Mapping {
  frame: Frame;
  perms: Perms;
  shared: boolean;
  /** Set by fork until the page is written: the MMU refuses to share such a page. */
  cow: boolean;
}
interface ModelSpace {
  readonly partition: string;
  readonly pages: Map<number, Mapping>;
}

type Outcome = string; // what happened, as the comparison sees it

class Model {
  spaces: ModelSpace[] = [];

  run(op: Op): Outcome {
    switch (op.op) {
      case 'map': {
        const space = this.spaces[op.space]!;
        if (this.anyMapped(space, op.page, op.pages)) return 'refused';
        for (let p = op.page; p < op.page + op.pages; p++) {
          space.pages.set(p, {
            frame: { bytes: new Uint8Array(PAGE), partition: space.partition },
            perms: op.perms,
            shared: false,
            cow: false,
          });
        }
        return 'ok';
      }
      case 'unmap': {
        const space = this.spaces[op.space]!;
        for (let p = op.page; p < op.page + op.pages; p++) space.pages.delete(p);
        return 'ok';
      }
      case 'protect': {
        const space = this.spaces[op.space]!;
        if (!this.allMapped(space, op.page, op.pages)) return 'refused';
        for (let p = op.page; p < op.page + op.pages; p++) space.pages.get(p)!.perms = op.perms;
        return 'ok';
      }
      case 'share':
      case 'remap': {
        const from = this.spaces[op.from]!;
        const to = this.spaces[op.to]!;
        if (!this.allMapped(from, op.page, op.pages)) return 'refused';
        if (op.from === op.to && Math.abs(op.toPage - op.page) < op.pages) return 'refused';
        if (this.anyMapped(to, op.toPage, op.pages)) return 'refused';
        if (op.op === 'share' && this.range(from, op.page, op.pages).some((m) => m.cow))
          return 'refused';
        if (this.range(from, op.page, op.pages).some((m) => m.frame.partition !== to.partition))
          return 'violation';
        for (let i = 0; i < op.pages; i++) {
          const m = from.pages.get(op.page + i)!;
          if (op.op === 'share') {
            m.shared = true;
            to.pages.set(op.toPage + i, { frame: m.frame, perms: 'rw-', shared: true, cow: false });
          } else {
            from.pages.delete(op.page + i);
            to.pages.set(op.toPage + i, m);
          }
        }
        return 'ok';
      }
      case 'fork': {
        const parent = this.spaces[op.space]!;
        const child: ModelSpace = { partition: parent.partition, pages: new Map() };
        for (const [p, m] of parent.pages) {
          if (m.shared) child.pages.set(p, { ...m });
          else {
            m.cow = true;
            child.pages.set(p, {
              frame: { bytes: m.frame.bytes.slice(), partition: m.frame.partition },
              perms: m.perms,
              shared: false,
              cow: true,
            });
          }
        }
        this.spaces.push(child);
        return `ok ${this.spaces.length}`;
      }
      case 'read': {
        const fault = this.fault(this.spaces[op.space]!, op.va, op.length, op.access);
        if (fault) return fault;
        return `bytes ${[...this.bytes(this.spaces[op.space]!, op.va, op.length)].join(',')}`;
      }
      case 'write': {
        const space = this.spaces[op.space]!;
        const fault = this.fault(space, op.va, op.data.length, 'write');
        if (fault) return fault;
        op.data.forEach((byte, i) => {
          const m = space.pages.get(Math.floor((op.va + i) / PAGE))!;
          m.frame.bytes[(op.va + i) % PAGE] = byte;
          m.cow = false;
        });
        return 'ok';
      }
    }
  }

  bytes(space: ModelSpace, va: number, length: number): Uint8Array {
    return Uint8Array.from(
      { length },
      (_, i) => space.pages.get(Math.floor((va + i) / PAGE))!.frame.bytes[(va + i) % PAGE]!,
    );
  }

  /** The first page of the access that faults, as `fault <kind> @<va>`; undefined if none. */
  private fault(
    space: ModelSpace,
    va: number,
    length: number,
    access: 'read' | 'write' | 'execute',
  ): string | undefined {
    const letter = access === 'read' ? 'r' : access === 'write' ? 'w' : 'x';
    for (let p = Math.floor(va / PAGE); p <= Math.floor((va + length - 1) / PAGE); p++) {
      const at = Math.max(va, p * PAGE);
      const m = space.pages.get(p);
      if (!m) return `fault not-present @${at}`;
      if (!m.perms.includes(letter)) return `fault protection @${at}`;
    }
    return undefined;
  }

  private range(space: ModelSpace, page: number, pages: number): Mapping[] {
    return Array.from({ length: pages }, (_, i) => space.pages.get(page + i)!);
  }
  private anyMapped(space: ModelSpace, page: number, pages: number): boolean {
    return Array.from({ length: pages }, (_, i) => space.pages.has(page + i)).some(Boolean);
  }
  private allMapped(space: ModelSpace, page: number, pages: number): boolean {
    return Array.from({ length: pages }, (_, i) => space.pages.has(page + i)).every(Boolean);
  }
}

// ---- the real MMU, reduced to the same outcomes --------------------------------------------

function runReal(m: ReturnType<typeof machine>, ids: number[], op: Op): Outcome {
  const { sim } = m;
  const refusedOr = (
    result: { ok: boolean; value?: unknown },
    ok: (value: never) => Outcome,
  ): Outcome => (result.ok ? ok(result.value as never) : 'refused');
  switch (op.op) {
    case 'map':
      return refusedOr(
        sim.dispatch(map, {
          space: ids[op.space]!,
          va: op.page * PAGE,
          pages: op.pages,
          perms: op.perms,
        }),
        () => 'ok',
      );
    case 'unmap':
      return refusedOr(
        sim.dispatch(unmap, { space: ids[op.space]!, va: op.page * PAGE, pages: op.pages }),
        () => 'ok',
      );
    case 'protect':
      return refusedOr(
        sim.dispatch(protect, {
          space: ids[op.space]!,
          va: op.page * PAGE,
          pages: op.pages,
          perms: op.perms,
        }),
        () => 'ok',
      );
    case 'share':
    case 'remap': {
      const args = {
        from: ids[op.from]!,
        va: op.page * PAGE,
        pages: op.pages,
        to: ids[op.to]!,
        toVa: op.toPage * PAGE,
      };
      const result =
        op.op === 'share'
          ? sim.dispatch(share, { ...args, perms: 'rw-' })
          : sim.dispatch(remap, args);
      return refusedOr(result, (v: { ok: boolean }) => (v.ok ? 'ok' : 'violation'));
    }
    case 'fork':
      return refusedOr(sim.dispatch(fork, { space: ids[op.space]! }), (child: number) => {
        ids.push(child);
        return `ok ${ids.length}`;
      });
    case 'read':
      return refusedOr(
        sim.dispatch(read, {
          space: ids[op.space]!,
          va: op.va,
          length: op.length,
          access: op.access,
        }),
        (v: { ok: boolean; bytes?: Uint8Array; fault?: { kind: string; va: number } }) =>
          v.ok ? `bytes ${[...v.bytes!].join(',')}` : `fault ${v.fault!.kind} @${v.fault!.va}`,
      );
    case 'write':
      return refusedOr(
        sim.dispatch(write, {
          space: ids[op.space]!,
          va: op.va,
          data: Uint8Array.from(op.data),
        }),
        (v: { ok: boolean; fault?: { kind: string; va: number } }) =>
          v.ok ? 'ok' : `fault ${v.fault!.kind} @${v.fault!.va}`,
      );
  }
}

// ---- generating operations ----------------------------------------------------------------

const INITIAL_SPACES = 4; // two in each partition
const MAX_SPACES = 7;
const perms = fc.constantFrom<Perms>('r--', 'rw-', 'r-x', 'rwx', '---');
const space = fc.integer({ min: 0, max: MAX_SPACES - 1 });
const range = fc
  .record({ page: fc.integer({ min: 0, max: PAGES - 1 }), pages: fc.integer({ min: 1, max: 3 }) })
  .filter((r) => r.page + r.pages <= PAGES);
const access = fc
  .record({
    va: fc.integer({ min: 0, max: PAGES * PAGE - 1 }),
    length: fc.integer({ min: 1, max: 16 }),
  })
  .filter((a) => a.va + a.length <= PAGES * PAGE);
// Accesses near a page boundary, so that split accesses are common.
const edgeAccess = fc
  .record({
    page: fc.integer({ min: 1, max: PAGES - 1 }),
    back: fc.integer({ min: 1, max: 8 }),
    length: fc.integer({ min: 2, max: 16 }),
  })
  .map(({ page, back, length }) => ({ va: page * PAGE - back, length }))
  .filter((a) => a.va + a.length <= PAGES * PAGE);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ op: fc.constant('map' as const), space, perms })
      .chain((o) => range.map((r) => ({ ...o, ...r }))),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ op: fc.constant('unmap' as const), space })
      .chain((o) => range.map((r) => ({ ...o, ...r }))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ op: fc.constant('protect' as const), space, perms })
      .chain((o) => range.map((r) => ({ ...o, ...r }))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        op: fc.constantFrom('share' as const, 'remap' as const),
        from: space,
        to: space,
        toPage: fc.integer({ min: 0, max: PAGES - 1 }),
      })
      .chain((o) => range.map((r) => ({ ...o, ...r })))
      .filter((o) => o.toPage + o.pages <= PAGES),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fork' as const), space }) },
  {
    weight: 5,
    arbitrary: fc
      .record({
        op: fc.constant('read' as const),
        space,
        access: fc.constantFrom('read' as const, 'execute' as const),
      })
      .chain((o) => fc.oneof(access, edgeAccess).map((a) => ({ ...o, ...a }))),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({ op: fc.constant('write' as const), space, fill: fc.integer({ min: 1, max: 255 }) })
      .chain(({ fill, ...o }) =>
        fc.oneof(access, edgeAccess).map(({ va, length }) => ({
          ...o,
          va,
          data: Array.from({ length }, (_, i) => (fill + i) % 256),
        })),
      ),
  },
);

describe('the MMU against a reference model', () => {
  it('agrees on every read, fault, refusal and byte, over thousands of random sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
        const m = machine({
          frames: 2048,
          pageSize: PAGE,
          levels: 2,
          bitsPerLevel: 4,
          tlb: { entries: 4, policy: 'lru' },
        });
        const model = new Model();
        const ids: number[] = [];
        for (const [i, name] of PARTITIONS.entries()) {
          m.ok(m.sim.dispatch(createPartition, { name, frames: 1024 }));
          for (let k = 0; k < INITIAL_SPACES / PARTITIONS.length; k++) {
            ids.push(m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: name })));
            model.spaces.push({ partition: PARTITIONS[i]!, pages: new Map() });
          }
        }
        ops.forEach((o, step) => {
          // Operations on spaces that do not exist yet (not forked) are skipped by both sides.
          const spaces = 'space' in o ? [o.space] : [o.from, o.to];
          if (spaces.some((s) => s >= model.spaces.length)) return;
          if (o.op === 'fork' && model.spaces.length >= MAX_SPACES) return;
          const expected = model.run(o);
          const actual = runReal(m, ids, o);
          if (actual !== expected)
            throw new Error(
              `step ${step} ${JSON.stringify(o)}: MMU says "${actual}", model says "${expected}"`,
            );
        });
        model.spaces.forEach((s, i) => {
          for (let page = 0; page < PAGES; page++) {
            const mapping = s.pages.get(page);
            const actual = m.query.read(ids[i]!, page * PAGE, PAGE);
            // Compared as buffers: jest's deep equality is slow on thousands of typed arrays.
            const same = mapping
              ? actual !== undefined && Buffer.from(actual).equals(mapping.frame.bytes)
              : actual === undefined;
            if (!same)
              throw new Error(
                `space ${i} page ${page}: MMU holds ${actual ? 'other bytes' : 'nothing'} where the model ${mapping ? 'has bytes' : 'has nothing'}`,
              );
          }
        });
      }),
      { numRuns: 2_000 },
    );
  });
});
