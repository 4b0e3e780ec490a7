import fc from 'fast-check';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Grid } from './grid';
import { LocalSweep } from './local-sweep';
import type { CellResult } from './run-cell';

const CELLS = 5;
const WORKERS = ['a:1', 'b:2', 'c:3'];

const grid: Grid = {
  name: 'model',
  file: 'grid.json',
  grid: { axes: { seed: [0, 1, 2, 3, 4] } },
  cells: Array.from({ length: CELLS }, (_, cell) => ({
    cell,
    params: { seed: cell },
    spec: { scenario: 'x', plugins: ['@chronovisor/mmu'], seed: cell },
  })),
};

const resultBy = (worker: string, attempt: number): CellResult => ({
  status: 'done',
  worker,
  attempt,
  records: 1,
  events: 0,
  seconds: 0,
  eventsPerSecond: 0,
  faults: 0,
  violations: 0,
  refused: 0,
  figures: {},
});

type Op =
  | { op: 'take'; worker: string }
  | { op: 'finish'; worker: string }
  | { op: 'requeue'; worker: string };

const worker = fc.constantFrom(...WORKERS);
const ops = fc.array(
  fc.oneof(
    worker.map((w): Op => ({ op: 'take', worker: w })),
    worker.map((w): Op => ({ op: 'finish', worker: w })),
    worker.map((w): Op => ({ op: 'requeue', worker: w })),
  ),
  { maxLength: 60 },
);

describe('a local sweep ledger', () => {
  it("behaves as its model: cells taken in order, a dead worker's back in the queue, one result a cell", () => {
    fc.assert(
      fc.property(ops, (script) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ledger-'));
        const ledger = LocalSweep.create(dir, grid);
        try {
          // The model: each cell's state, holder and attempts; each worker's cells in hand.
          const state = Array.from({ length: CELLS }, () => ({
            state: 'queued',
            worker: '',
            attempts: 0,
          }));
          const results = new Map<number, string>();
          for (const step of script) {
            if (step.op === 'take') {
              const next = state.findIndex((c) => c.state === 'queued');
              const job = ledger.take(step.worker);
              if (next < 0) expect(job).toBeUndefined();
              else {
                const c = state[next]!;
                Object.assign(c, { state: 'taken', worker: step.worker, attempts: c.attempts + 1 });
                expect(job).toMatchObject({
                  cell: next,
                  attempt: c.attempts,
                  spec: { seed: next },
                });
              }
            } else if (step.op === 'finish') {
              const held = state.findIndex((c) => c.state === 'taken' && c.worker === step.worker);
              if (held < 0) continue;
              const kept = ledger.finish(held, resultBy(step.worker, state[held]!.attempts));
              expect(kept).toBe(!results.has(held));
              if (!results.has(held)) results.set(held, step.worker);
              state[held]!.state = 'done';
            } else {
              const back = state.filter((c) => c.state === 'taken' && c.worker === step.worker);
              expect(ledger.requeue(step.worker)).toBe(back.length);
              for (const c of back) Object.assign(c, { state: 'queued', worker: '' });
            }
            expect(ledger.unfinished()).toBe(state.filter((c) => c.state !== 'done').length);
          }
          const stored = ledger.stored();
          expect(stored.cells.map((c) => c.params)).toEqual(grid.cells.map((c) => c.params));
          for (const c of stored.cells)
            expect((c.result as CellResult | undefined)?.worker).toBe(results.get(c.cell));
        } finally {
          ledger.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a folder that holds a sweep already, and one that holds none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ledger-'));
    try {
      expect(() => LocalSweep.open(dir)).toThrow(/holds no sweep \(no sweep\.db\)/);
      LocalSweep.create(dir, grid).close();
      expect(() => LocalSweep.create(dir, grid)).toThrow(
        /already holds a sweep; name another folder with --out/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a ledger that is no ledger, naming it, and leaves the file as it was', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ledger-'));
    const ledger = path.join(dir, 'sweep.db');
    try {
      writeFileSync(ledger, 'not a database');
      expect(() => LocalSweep.open(dir)).toThrow(
        `${ledger} is not a sweep's ledger: file is not a database`,
      );
      rmSync(ledger);
      const other = new Database(ledger);
      other.exec('CREATE TABLE sweep (name TEXT)');
      other.close();
      const before = readFileSync(ledger);
      expect(() => LocalSweep.open(dir)).toThrow(
        `${ledger} is not a sweep's ledger: it has no cells, results tables`,
      );
      expect(readFileSync(ledger)).toEqual(before); // not even switched to write-ahead logging
      expect(readdirSync(dir)).toEqual(['sweep.db']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
