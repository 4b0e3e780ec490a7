import { NullStore, Simulation, type Store } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import {
  POLICIES,
  heapPlugin,
  parseTrace,
  runTrace,
  type PolicyName,
  type Trace,
} from '@chronovisor/plugin-heap';
import { SqliteStore } from '@chronovisor/store';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { figure, type Figure } from '../figure';
import { timed } from '../measure';

const TRACES = path.join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'plugins',
  'heap',
  'fixtures',
  'alloc-traces',
);
const FRAMES = 262_144;

function run(trace: Trace, policy: PolicyName, store: Store) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: FRAMES }), heapPlugin({ policy })],
    seed: 1,
    store,
  });
  const report = runTrace(sim, trace, { frames: FRAMES });
  sim.close();
  return report;
}

/**
 * The heap on the real-program traces: each policy's utilization on each trace (peak live bytes
 * over peak heap extent, against the ideal of 100%), and how many allocator operations a second
 * it runs recorded into SQLite, against the same runs not recorded at all.
 */
export function heapSuite(): Figure[] {
  const traces = readdirSync(TRACES)
    .filter((f) => f.endsWith('.trace'))
    .sort()
    .map((f) => parseTrace(readFileSync(path.join(TRACES, f), 'utf8'), f));
  const totalOps = traces.reduce((n, t) => n + t.ops.length, 0);
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-heap-'));
  const figures: Figure[] = [];
  const averages: [PolicyName, number][] = [];
  try {
    for (const t of traces) run(t, 'best-fit', new NullStore()); // warm-up
    for (const policy of POLICIES) {
      const limit = timed(() => traces.map((t) => run(t, policy, new NullStore())));
      const recorded = timed(() =>
        traces.map((t) => {
          const store = SqliteStore.create(path.join(dir, `${policy}-${t.source}.db`));
          try {
            return run(t, policy, store);
          } finally {
            store.close();
          }
        }),
      );
      for (const report of recorded.result) {
        figures.push(
          figure({
            suite: 'heap',
            name: `${policy} on ${report.source}: utilization`,
            value: report.utilization * 100,
            unit: '%',
            baseline: { name: 'peak live bytes (the ideal)', value: 100 },
            detail: `${report.peakLiveBytes.toLocaleString('en-US')} live / ${report.peakExtent.toLocaleString('en-US')} extent, ${report.ops} ops, ${Object.keys(report.violations).length === 0 ? 'no violations' : 'VIOLATIONS'}`,
          }),
        );
      }
      const average = recorded.result.reduce((n, r) => n + r.utilization, 0) / traces.length;
      averages.push([policy, average]);
      figures.push(
        figure({
          suite: 'heap',
          name: `${policy}: ops/s, all traces recorded into SQLite (${totalOps.toLocaleString('en-US')} ops)`,
          value: totalOps / recorded.seconds,
          unit: 'ops/s',
          baseline: { name: 'the same, not recorded (NullStore)', value: totalOps / limit.seconds },
          aim: {
            text: '≥ 150,000 allocator ops/s recorded',
            met: totalOps / recorded.seconds >= 150_000,
          },
          detail: `before batch leaves: ~16,000 ops/s; average utilization ${(average * 100).toFixed(1)}%`,
        }),
        figure({
          suite: 'heap',
          name: `${policy}: ops/s, all traces, not recorded (NullStore), across kernel checkpoints`,
          value: totalOps / limit.seconds,
          unit: 'ops/s',
          baseline: { name: 'recorded into SQLite', value: totalOps / recorded.seconds },
          aim: {
            text: '≥ 250,000 allocator ops/s with the NullStore',
            met: totalOps / limit.seconds >= 250_000,
          },
          // Long enough to cross the kernel's rollback checkpoints (every 1,024 to 262,144 events).
          detail: `before Plugin API 2: 49,883-66,276 ops/s; ${limit.result.reduce((n, r) => n + r.records, 0).toLocaleString('en-US')} records`,
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [bestPolicy, best] = averages.reduce((a, b) => (b[1] > a[1] ? b : a));
  const [, worst] = averages.reduce((a, b) => (b[1] < a[1] ? b : a));
  figures.push(
    figure({
      suite: 'heap',
      name: `best policy's average utilization (${bestPolicy})`,
      value: best * 100,
      unit: '%',
      baseline: { name: 'worst policy', value: worst * 100 },
      aim: { text: 'the best policy ≥ 80% on average', met: best >= 0.8 },
    }),
  );
  return figures;
}
