import { Simulation, orderPlugins } from '@chronovisor/core';
import {
  TraceError,
  heapOptionsSchema,
  parseTrace,
  runTrace,
  type InjectionSpec,
  type TraceReport,
} from '@chronovisor/plugin-heap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliError, EXIT } from '../cli-error';
import { checkInputFile } from '../output-file';
import { invoked, output, table, type Output } from '../output';
import { loadPlugins } from '../plugin-loader';
import { progressBar } from '../progress-bar';
import { createRunFile, type RunFileOptions } from '../run-file';

/** The options of `chronovisor trace`. */
export interface TraceOptions extends RunFileOptions {
  readonly policy?: string;
  readonly tagBits?: number;
  readonly inject?: InjectionSpec;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Physical memory for a trace's heap: 1 GiB, the most a heap grows to (frames are sparse). */
const TRACE_FRAMES = 262_144;

const INJECT_KEYS: Readonly<Record<string, keyof InjectionSpec>> = {
  uaf: 'uaf',
  'double-free': 'doubleFree',
  'invalid-free': 'invalidFree',
  seed: 'seed',
};

/** Reads `--inject uaf=N,double-free=M,invalid-free=K,seed=S`; each part is optional. */
export function parseInjection(text: string): InjectionSpec {
  const spec: Record<string, number> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [key, value, extra] = part.split('=').map((s) => s.trim());
    const field = INJECT_KEYS[key ?? ''];
    const n = Number(value);
    if (!field || value === undefined || extra !== undefined || !Number.isSafeInteger(n) || n < 0) {
      throw new CliError(
        `--inject: cannot read "${part}": expected <kind>=<count> with kind uaf, double-free or invalid-free, or seed=<n>`,
      );
    }
    spec[field] = n;
  }
  return spec;
}

/**
 * `chronovisor trace <file>`: runs an allocation trace through the heap plugin, recorded into a
 * run file, and reports utilization, violations and, with `--inject`, what the checks caught.
 * Exits 1 when the trace's own operations raised violations (a clean trace should raise none).
 */
export function trace(file: string, options: TraceOptions, out: Output = output): number {
  checkInputFile(file, 'Trace file');
  let parsed;
  try {
    parsed = parseTrace(readFileSync(file, 'utf8'), file);
  } catch (error) {
    if (error instanceof TraceError) throw new CliError(`Trace ${error.message}`);
    throw error;
  }
  const heapOptions = {
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.tagBits === undefined ? {} : { tagBits: options.tagBits }),
  };
  const { plugins, manifest } = loadPlugins(
    [
      { name: '@chronovisor/mmu', options: { frames: TRACE_FRAMES } },
      { name: '@chronovisor/plugin-heap', options: heapOptions },
    ],
    process.cwd(),
    'the trace plugin set',
  );
  orderPlugins(plugins);
  const seed = options.inject?.seed ?? 0;
  const { policy } = heapOptionsSchema.parse(heapOptions); // checked again, with the message, by the plugin
  const name = `${path.basename(file).replace(/\.[^.]*$/, '')}-${policy}`;
  const {
    file: runFile,
    store,
    output: recording,
  } = createRunFile(options, name, seed, {
    trace: path.resolve(file),
    plugins: manifest,
    ...(options.inject ? { inject: options.inject } : {}),
  });
  const bar = progressBar('tracing', options);
  let report: TraceReport;
  const started = performance.now();
  try {
    const sim = new Simulation({ plugins, seed, store });
    report = runTrace(sim, parsed, {
      ...(options.inject ? { inject: options.inject } : {}),
      frames: TRACE_FRAMES,
      onProgress: (done, total) => bar.update(done, total),
    });
    sim.close();
  } catch (error) {
    throw new CliError(
      `Trace ${file} failed after recording ${store.head()} records, kept in ${recording.partial}: ${(error as Error).message}`,
    );
  } finally {
    bar.finish();
    store.close();
  }
  recording.commit();
  const seconds = (performance.now() - started) / 1000;
  const opsPerSecond = report.ops / seconds;
  const clean = Object.keys(report.violations).length === 0;
  if (options.json) {
    out.json({ ...report, file: runFile, seconds, opsPerSecond });
    return clean ? EXIT.ok : EXIT.failed;
  }
  out.heading(`Traced ${file} (${report.format}) → ${runFile}`);
  const violations = Object.entries(report.violations)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  out.line(
    table(
      ['', ''],
      [
        ['policy', `${report.policy}, ${report.tagBits} tag bits`],
        [
          'ops',
          `${report.ops} (${report.allocs} alloc, ${report.frees} free, ${report.reallocs} realloc)`,
        ],
        ['peak live bytes', report.peakLiveBytes.toLocaleString('en-US')],
        ['peak heap extent', report.peakExtent.toLocaleString('en-US')],
        ['utilization', `${(report.utilization * 100).toFixed(1)}%`],
        ['violations', clean ? 'none' : violations],
        ['records', report.records.toLocaleString('en-US')],
        ['ops/s', Math.round(opsPerSecond).toLocaleString('en-US')],
      ],
    ),
  );
  if (report.injected) {
    out.line(
      table(
        ['injected', 'count', 'detected', 'expected', 'escaped (seq ← freed at seq)'],
        Object.entries(report.injected).map(([kind, o]) => [
          kind,
          String(o.injected),
          `${o.detected} (${percent(o.detected, o.injected)})`,
          percent(o.expected, o.injected),
          o.escaped.length === 0
            ? 'none'
            : o.escaped
                .slice(0, 8)
                .map((e) => (e.freeSeq === undefined ? `${e.seq}` : `${e.seq} ← ${e.freeSeq}`))
                .join(', ') + (o.escaped.length > 8 ? `, … (${o.escaped.length})` : ''),
        ]),
      ),
    );
  }
  if (!clean) out.failure(`The trace's own operations raised violations: ${violations}`);
  out.line('Next:');
  out.line(`  ${invoked} replay ${runFile}    # rebuild the heap from the log`);
  out.line(`  ${invoked} debug ${runFile}     # break heap.violation.detected, rcontinue, why …`);
  out.line(
    `  ${invoked} reexec ${runFile} --config other-policy.json    # the same trace, another policy`,
  );
  return clean ? EXIT.ok : EXIT.failed;
}

const percent = (n: number, of: number): string =>
  of === 0 ? '-' : `${((n / of) * 100).toFixed(2)}%`;
