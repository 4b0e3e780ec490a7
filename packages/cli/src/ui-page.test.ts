import {
  MemoryMap,
  MemoryReader,
  Projector,
  type EventRecord,
  type LogRecord,
} from '@chronovisor/core';
import { accessesOf } from '@chronovisor/timetravel';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openRun } from './run-plugins';
import { bin, root } from './test-support/bin-harness';
import { launchBrowser } from './test-support/browser';

/**
 * `chronovisor ui` as a user meets it: the quickstart recorded by the binary, served by the
 * binary, and driven in a real headless Chromium. What the page shows is checked against the run
 * replayed here, record by record. Screenshots go to test-artifacts/ui.
 */
jest.setTimeout(120_000);

const artifacts = path.join(root, 'test-artifacts', 'ui');
const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ui-page-'));
const file = path.join(dir, 'quickstart.db');
let server: ChildProcess;
let browser: Browser;
let page: Page;
let records: LogRecord[];
let replay: (seq: number) => Projector;
let accessOf: ReturnType<typeof accessesOf>;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const run = spawnSync(
    process.execPath,
    [bin, 'run', path.join(root, 'examples', 'quickstart'), '--out', file],
    {
      encoding: 'utf8',
    },
  );
  expect(run.status).toBe(0);
  const { store, plugins, manifest } = openRun(file);
  records = [...store.read(1)];
  store.close();
  replay = (seq) => {
    const projector = new Projector(plugins, manifest.seed);
    for (const r of records.slice(0, seq)) if (r.kind === 'event') projector.apply(r);
    return projector;
  };
  accessOf = accessesOf(new Projector(plugins, manifest.seed).eventTypes);

  server = spawn(process.execPath, [bin, 'ui', file, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (match) resolve(match[0]);
    });
    server.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    server.on('exit', (code) => reject(new Error(`chronovisor ui exited with ${code}: ${out}`)));
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(url);
  await page.getByTestId('overview-status').filter({ hasText: 'ready' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the page has loaded everything for a position; returns it. */
async function settled(seq?: number): Promise<number> {
  const selector =
    seq === undefined ? 'body[data-busy="false"]' : `body[data-busy="false"][data-seq="${seq}"]`;
  await page.waitForSelector(selector);
  return Number(await page.locator('body').getAttribute('data-seq'));
}

async function goTo(seq: number): Promise<void> {
  await page.getByTestId('seq-input').fill(String(seq));
  await page.getByTestId('seq-input').press('Enter');
  await settled(seq);
}

const hex = (n: number) => `0x${n.toString(16)}`;

describe('the time-travel page', () => {
  it('scrubs the timeline to a seq, where the memory map and the hex view show what replay gives', async () => {
    const timeline = page.getByTestId('timeline');
    const box = (await timeline.boundingBox())!;
    await timeline.click({ position: { x: box.width * 0.4, y: box.height / 2 } });
    const seq = await settled();
    expect(Math.abs(seq / records.length - 0.4)).toBeLessThan(0.02);

    const state = replay(seq);
    const layout = state.getAll<MemoryMap>(MemoryMap)[0]!.layout();
    for (const partition of layout.partitions)
      expect(
        await page.getByTestId(`partition-${partition.name}`).getAttribute('data-states'),
      ).toBe(partition.states.map(([s, n]) => `${s}:${n}`).join(','));
    for (const space of layout.spaces)
      expect(await page.getByTestId(`space-${space.id}`).getAttribute('data-runs')).toBe(
        space.runs.map((r) => `${hex(r.va)}+${r.pages}:${r.state}`).join(','),
      );

    // The bytes around the last write before here.
    const write = records
      .slice(0, seq)
      .map((r) => accessOf(r))
      .filter((a) => a?.kind === 'write')
      .at(-1)!;
    const base = write.va - (write.va % 16);
    await page.getByTestId('hex-space').selectOption(String(write.space));
    await page.getByTestId('hex-address').fill(hex(base));
    await page.getByTestId('hex-address').press('Enter');
    await page.getByTestId(`byte-${hex(base)}`).waitFor();
    await settled(seq);
    const reader = state.getAll<MemoryReader>(MemoryReader)[0]!;
    for (let va = base; va < base + 256; va++) {
      const expected = reader.read(write.space, va, 1);
      const shown = await page.getByTestId(`byte-${hex(va)}`).textContent();
      expect([va, shown]).toEqual([
        va,
        expected ? expected[0]!.toString(16).padStart(2, '0') : '..',
      ]);
    }
    await page.screenshot({ path: path.join(artifacts, 'scrubbed.png') });
  });

  it('stops at the last write of a watched byte, reverse-continuing from the end', async () => {
    await page.getByTestId('btn-end').click();
    const head = await settled(records.length);
    const state = replay(head);
    const reader = state.getAll<MemoryReader>(MemoryReader)[0]!;
    // A byte written in the run whose page is still mapped at the end.
    const write = records
      .map((r) => accessOf(r))
      .filter((a) => a?.kind === 'write' && reader.read(a.space, a.va, 1) !== undefined)
      .at(-1)!;
    const pa = reader.physicalAddress(write.space, write.va)!;
    await page.getByTestId('stop-kind').selectOption('watch');
    await page.getByTestId('stop-input').fill(`${write.space}:${hex(write.va)} 1`);
    await page.getByTestId('stop-add').click();
    await page.getByTestId('btn-rcontinue').click();
    const stopped = await settled();
    expect(await page.getByTestId('stop-status').textContent()).toContain('stopped');
    // Brute force: the record it stopped at wrote those bytes, and none after it did.
    const writesPa = (r: LogRecord) => {
      const a = accessOf(r);
      return a?.kind === 'write' && a.pa !== undefined && a.pa <= pa && pa < a.pa + a.length;
    };
    expect(writesPa(records[stopped - 1]!)).toBe(true);
    expect(records.slice(stopped).some(writesPa)).toBe(false);
    await page.screenshot({ path: path.join(artifacts, 'watchpoint.png') });
  });

  it('follows a violation in the heap panel to the free of its block', async () => {
    const violation = records.find(
      (r): r is EventRecord<{ freed?: { freeSeq?: number } }> =>
        r.type === 'heap.violation.detected' &&
        (r as EventRecord<{ freed?: { freeSeq?: number } }>).data.freed?.freeSeq !== undefined,
    )!;
    const freeSeq = violation.data.freed!.freeSeq!;
    await goTo(violation.seq);
    expect(await page.getByTestId('current-record').getAttribute('data-type')).toBe(
      'heap.violation.detected',
    );
    await page.getByTestId('panel-heap').locator(`a[data-seq="${freeSeq}"]`).first().click();
    await settled(freeSeq);
    expect(await page.getByTestId('current-record').getAttribute('data-type')).toBe(
      'heap.block.freed',
    );
    await page.screenshot({ path: path.join(artifacts, 'violation-free.png') });
  });

  it('names a byte’s last writer, goes there on a click, and says where the byte came from', async () => {
    const seq = records.length;
    await goTo(seq);
    const state = replay(seq);
    const reader = state.getAll<MemoryReader>(MemoryReader)[0]!;
    const write = records
      .map((r) => accessOf(r))
      .filter((a) => a?.kind === 'write' && reader.read(a.space, a.va, 1) !== undefined)
      .at(-1)!;
    await page.getByTestId('hex-space').selectOption(String(write.space));
    await page.getByTestId('hex-address').fill(hex(write.va - (write.va % 16)));
    await page.getByTestId('hex-address').press('Enter');
    // Hovering names the byte's last writer; a click goes there.
    await page.getByTestId(`byte-${hex(write.va)}`).hover();
    await page
      .getByTestId('last-writer')
      .filter({ hasText: `seq ${write.seq}` })
      .waitFor();
    await page.getByTestId(`byte-${hex(write.va)}`).click();
    await settled(write.seq);
    await page.getByTestId('why').click();
    const first = page.getByTestId('provenance').locator('a[data-seq]').first();
    await first.waitFor();
    expect(Number(await first.getAttribute('data-seq'))).toBe(write.seq);
  });

  it('refuses the API without the token', async () => {
    const url = new URL(page.url());
    const response = await fetch(new URL('/api/run', url));
    expect(response.status).toBe(401);
  });
});
