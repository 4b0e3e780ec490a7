import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { Xoshiro128StarStar } from '@chronovisor/core';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { figure, type Figure } from '../figure';
import { FRAMES, percentile, plugins, record } from './timetravel';

const REQUESTS = 200;
const CLI = path.join(__dirname, '..', '..', '..', 'cli', 'bin', 'chronovisor.js');

/** The ten-million-record run of the timetravel suite, with a manifest `chronovisor ui` reads. */
function recordRun(file: string): number {
  const store = SqliteStore.create(file, {
    manifest: {
      createdBy: '@chronovisor/bench',
      seed: 1,
      plugins: [
        {
          name: '@chronovisor/mmu',
          version: '1.0.0',
          from: '@chronovisor/mmu',
          options: { frames: FRAMES },
        },
      ],
    },
  });
  const records = record(store);
  store.close();
  return records;
}

/** `chronovisor ui` on the run, in its own process as a user starts it; resolves with its address. */
function serve(file: string): Promise<{ url: URL; stop: () => void }> {
  const child = spawn(process.execPath, [CLI, 'ui', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=\w+/.exec(out);
      if (match) resolve({ url: new URL(match[0]), stop: () => child.kill('SIGINT') });
    });
    child.on('exit', (code) =>
      reject(new Error(`chronovisor ui exited (${code}) before serving: ${out}`)),
    );
  });
}

async function overviewReady(url: URL): Promise<boolean> {
  const response = await fetch(new URL('/api/overview?buckets=1000', url), {
    headers: { 'X-Chronovisor-Token': url.searchParams.get('token')! },
  });
  return ((await response.json()) as { ready: boolean }).ready;
}

/** Milliseconds each request took, in order of asking, sorted. */
async function latencies(url: URL, paths: readonly string[]): Promise<number[]> {
  const token = url.searchParams.get('token')!;
  const times: number[] = [];
  for (const p of paths) {
    const start = performance.now();
    const response = await fetch(new URL(p, url), { headers: { 'X-Chronovisor-Token': token } });
    if (!response.ok) throw new Error(`${p}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/**
 * The web page's API on the ten-million-record run, through `chronovisor ui` over HTTP as the
 * page asks: a window of 1,000 records, and a seek (the current record and its causes), each
 * p50 and p99, beside the timeline's own seek to the same places in this process.
 */
export async function uiSuite(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-ui-'));
  try {
    const file = path.join(dir, 'run.db');
    const records = recordRun(file);
    const rng = new Xoshiro128StarStar(11);
    const seeks = Array.from({ length: REQUESTS }, () => rng.nextInt(0, records));
    const windows = Array.from({ length: REQUESTS }, () => rng.nextInt(1, records - 999));

    // The timeline alone, after the first pass that takes its snapshots (as the server's first
    // seek to the end does).
    const store = SqliteStore.open(file, { readonly: true });
    let own: number[];
    try {
      const timeline = new Timeline(store, plugins(), { seed: 1 });
      timeline.seek(records);
      own = seeks
        .map((seq) => {
          const start = performance.now();
          timeline.seek(seq);
          timeline.record(seq);
          return performance.now() - start;
        })
        .sort((a, b) => a - b);
    } finally {
      store.close();
    }

    const { url, stop } = await serve(file);
    try {
      // Ready as a user finds it: the overview scanned, the timeline's first pass made.
      const scanStart = performance.now();
      while (!(await overviewReady(url))) await new Promise((resolve) => setTimeout(resolve, 50));
      const scanSeconds = (performance.now() - scanStart) / 1000;
      await latencies(url, [`/api/seek?seq=${records}`]);
      const seek = await latencies(
        url,
        seeks.map((seq) => `/api/seek?seq=${seq}`),
      );
      const window = await latencies(
        url,
        windows.map((from) => `/api/records?from=${from}&count=1000`),
      );
      const name = `the page's API on ${records.toLocaleString('en-US')} records, over HTTP`;
      const detail = (times: number[]) =>
        `p50 ${percentile(times, 0.5).toFixed(2)} ms, over ${REQUESTS} requests`;
      return [
        figure({
          suite: 'ui',
          name: `${name}: seek (record and causes), p99`,
          value: percentile(seek, 0.99),
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: "the timeline's own seek in this process, p99",
            value: percentile(own, 0.99),
          },
          detail: `${detail(seek)}; the timeline's own: p50 ${percentile(own, 0.5).toFixed(2)} ms; the timeline overview scanned the run in ${scanSeconds.toFixed(1)} s`,
        }),
        figure({
          suite: 'ui',
          name: `${name}: a window of 1,000 records, p99`,
          value: percentile(window, 0.99),
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: "the timeline's own seek in this process, p99",
            value: percentile(own, 0.99),
          },
          detail: detail(window),
        }),
      ];
    } finally {
      stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
