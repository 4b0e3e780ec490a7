import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { binHarness, root } from './test-support/bin-harness';

// docs/writing-a-scenario.md quotes the scenarios in examples/scenarios/src: each quote must still
// be in its file, and each scenario must run as the guide says.
const doc = readFileSync(path.join(root, 'docs', 'writing-a-scenario.md'), 'utf8');
const quotes = [...doc.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)].map(([, file, code]) => ({
  file: file!,
  code: code!,
}));
const scenarios = path.join(root, 'examples', 'scenarios', 'src');
const { chronovisor, file } = binHarness();

describe('docs/writing-a-scenario.md', () => {
  jest.setTimeout(60_000);

  it('quotes the example scenarios', () => {
    expect(quotes.length).toBeGreaterThanOrEqual(6);
  });

  // Compared line by line without leading spaces: a quote of nested code is shown dedented.
  const lines = (text: string) => text.replace(/^[ \t]+/gm, '');
  it.each(quotes.map((q, i) => [i + 1, q.file, q.code] as const))(
    'quote %i is still in %s',
    (_i, quoted, code) => {
      expect(lines(readFileSync(path.join(root, quoted), 'utf8'))).toContain(lines(code));
    },
  );

  it('runs the linked list: a use after free stopped, a fault, the seed drawing its reads', () => {
    const run = (seed: string) =>
      chronovisor(
        'run',
        path.join(scenarios, 'linked-list.ts'),
        '--seed',
        seed,
        '--out',
        file(`l${seed}.db`),
        '--json',
      );
    const three = run('3');
    expect(three.status).toBe(0);
    const report = JSON.parse(three.stdout) as {
      violations: number;
      faults: number;
      rejections: number;
      config: string;
      head: string;
    };
    expect(report).toMatchObject({
      violations: 1,
      faults: 1,
      rejections: 0,
      config: path.join(scenarios, 'chronovisor.config.json'),
    });
    // The reads change no state, but another seed makes other reads: another log.
    expect((JSON.parse(run('4').stdout) as { head: string }).head).not.toBe(report.head);
    const stop = chronovisor(
      'debug',
      file('l3.db'),
      '--eval',
      'break heap.violation.detected; continue',
    );
    expect(stop.stdout).toMatch(/"kind":"use-after-free"/);
  });

  it('runs the shared page from commands as data: the bytes written are the bytes read', () => {
    const run = chronovisor(
      'run',
      path.join(scenarios, 'shared-page.ndjson'),
      '--out',
      file('s.db'),
      '--strict',
    );
    expect(run.status).toBe(0);
    const read = chronovisor('debug', file('s.db'), '--eval', 'goto end; x/5xb 2:0x2000');
    // "Hello": proc:a wrote "hello", and proc:c (a fork of b, the page still shared) wrote "H".
    expect(read.stdout).toMatch(/48 65 6c 6c 6f/);
  });

  it('answers why and watch on shared bytes with the write another space made', () => {
    chronovisor('run', path.join(scenarios, 'shared-page.ndjson'), '--out', file('w.db'));
    const answers = chronovisor(
      'debug',
      file('w.db'),
      '--eval',
      'goto end; why 1:0x1000; why 1:0x1001; watch 1:0x1000 1; rcontinue; history 2:0x2000',
    );
    expect(answers.status).toBe(0);
    const text = answers.stdout;
    expect(text).toMatch(
      /\(why 1:0x1000\)\nwritten at seq \d+ through 3:0x2000 by proc:c \(mmu.write/,
    );
    expect(text).toMatch(
      /\(why 1:0x1001\)\nwritten at seq \d+ through 1:0x1000 by proc:a \(mmu.write/,
    );
    expect(text).toMatch(
      /stopped by #1 \(watch 1:0x1000 1\), by space 3 at 3:0x2000 \(the same bytes\)/,
    );
    expect(text).toMatch(
      /\(history 2:0x2000\)\nseq \d+: write by proc:a through 1:0x1000\nseq \d+: read by proc:b through 2:0x2000\nseq \d+: write by proc:c through 3:0x2000\nseq \d+: read by proc:a through 1:0x1000\n/,
    );
  });
});
