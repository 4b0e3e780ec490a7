import { Simulation, NullStore } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { POLICIES, type HeapOptions } from '../heap-options';
import { heapPlugin } from '../heap-plugin';
import { runTrace } from './run-trace';
import { TraceError, parseTrace } from './trace-format';

const FIXTURES = path.join(__dirname, '../../fixtures');
const REAL = path.join(FIXTURES, 'alloc-traces');
const realTraces = readdirSync(REAL).filter((f) => f.endsWith('.trace'));
const load = (dir: string, file: string) =>
  parseTrace(readFileSync(path.join(dir, file), 'utf8'), file);

function simulation(options: HeapOptions) {
  return new Simulation({
    plugins: [mmuPlugin({ frames: 262_144 }), heapPlugin(options)],
    store: new NullStore(),
  });
}

describe('trace formats', () => {
  it('reads the real-program traces, op for op, as their README counts them', () => {
    const readme = readFileSync(path.join(REAL, 'README.md'), 'utf8');
    for (const file of realTraces) {
      const trace = load(REAL, file);
      const row = readme
        .split('\n')
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .find((cells) => cells[1] === file)!;
      expect(trace.format).toBe('wee-alloc');
      expect([
        trace.ops.length,
        trace.ops.filter((o) => o.op === 'alloc').length,
        trace.ops.filter((o) => o.op === 'free').length,
      ]).toEqual([Number(row[3]), Number(row[4]), Number(row[5])]);
    }
    expect(load(REAL, 'ls.trace').ops.slice(0, 4)).toEqual([
      { op: 'alloc', id: 0, size: 552, line: 1 },
      { op: 'alloc', id: 1, size: 120, line: 2 },
      { op: 'alloc', id: 2, size: 1024, line: 3 },
      { op: 'free', id: 1, line: 4 },
    ]);
  });

  it('reads CS:APP .rep files, with the header on one line or four', () => {
    const short = load(path.join(FIXTURES, 'malloc-lab'), 'short.rep');
    expect(short.format).toBe('malloc-lab');
    expect(short.ops.slice(3, 5)).toEqual([
      { op: 'alloc', id: 2, size: 48, line: 8 },
      { op: 'realloc', id: 0, size: 4072, line: 9 },
    ]);
    expect(load(path.join(FIXTURES, 'malloc-lab'), 'realloc.rep').ops).toHaveLength(14);
  });

  it.each([
    [
      'Alloc(12),\nAlloc(x),\n',
      't:2: expected "Alloc(<bytes>)," or "Free(<index>),", found "Alloc(x),"',
    ],
    ['Alloc(12),\nFree(3),\n', 't:2: Free(3) frees allocation 3, which was never made (1 so far)'],
    ['Alloc(12),\nFree(0),\nFree(0),', 't:3: Free(0) frees allocation 0 a second time'],
    ['100 2 1\n', 't:1: expected four header numbers (heap size, ids, ops, weight), found 3'],
    ['100 2 2 1\na 0 8\nf 1\n', 't:3: frees id 1, which is not allocated'],
    ['100 2 1 1\na 5 8\n', 't:2: id 5 is out of range: the header declares 2 ids'],
    [
      '100 2 2 1\na 0 8\nx 0\n',
      't:3: expected "a <id> <size>", "f <id>" or "r <id> <size>", found "x 0"',
    ],
    ['100 2 3 1\na 0 8\nf 0\n', 't:4: the header declares 3 ops, the trace has 2'],
    ['100 2 2 1\na 0 8\na 0 9\n', 't:3: id 0 is allocated again without being freed'],
    ['\n\n', 't:1: the trace is empty'],
  ])('names the file, line and what was expected: %j', (text, message) => {
    expect(() => parseTrace(text, 't')).toThrow(
      new TraceError('t', 0, '').constructor as typeof TraceError,
    );
    expect(() => parseTrace(text, 't')).toThrow(message);
  });
});

describe('running traces', () => {
  it.each(POLICIES)(
    'runs every real trace clean under %s, and catches every injected fault with 8 tag bits',
    (policy) => {
      for (const file of realTraces) {
        const report = runTrace(simulation({ policy, tagBits: 8 }), load(REAL, file), {
          inject: { uaf: 100, doubleFree: 100, invalidFree: 100, seed: 3 },
        });
        expect({ file, violations: report.violations }).toEqual({ file, violations: {} });
        for (const outcome of Object.values(report.injected!)) {
          expect({ file, ...outcome }).toEqual({
            file,
            injected: 100,
            detected: 100,
            expected: 100,
            escaped: [],
          });
        }
        expect(report.utilization).toBeGreaterThan(policy === 'buddy' ? 0.25 : 0.75);
        expect(report.utilization).toBeLessThanOrEqual(1);
      }
    },
  );

  it('detects stale pointers with 4 tag bits at the rate the heap expects, within a point and a half', () => {
    for (const file of ['find.trace', 'grep-recursive.trace', 'source-map.trace']) {
      const report = runTrace(simulation({ policy: 'first-fit', tagBits: 4 }), load(REAL, file), {
        inject: { uaf: 2000, doubleFree: 2000, seed: 5 },
      });
      for (const kind of ['use-after-free', 'double-free'] as const) {
        const { injected, detected, expected, escaped } = report.injected![kind];
        expect(escaped.length).toBe(injected - detected);
        expect(Math.abs(detected - expected) / injected).toBeLessThan(0.015);
        expect(detected).toBeLessThan(injected); // 4 bits do wrap on these traces
      }
    }
  });

  it('runs .rep traces with realloc', () => {
    const report = runTrace(
      simulation({ policy: 'best-fit' }),
      load(path.join(FIXTURES, 'malloc-lab'), 'realloc.rep'),
    );
    expect(report).toMatchObject({ ops: 14, allocs: 5, frees: 4, reallocs: 5, violations: {} });
    // After `r 3 300`: ids 1 (8), 2 (4000) and 3 (300); realloc's copy does not count twice.
    expect(report.peakLiveBytes).toBe(8 + 4000 + 300);
  });
});
