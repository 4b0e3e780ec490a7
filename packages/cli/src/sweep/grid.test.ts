import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { root } from '../test-support/bin-harness';
import { loadGrid } from './grid';

const example = path.join(root, 'examples', 'heap-sweep');
let dir = '';
const startedIn = process.cwd();
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-grid-'));
  // The process works elsewhere, deeper than the grid's folder, so a path made relative to the
  // grid's folder but read from the process's cannot land on the same file by chance.
  const elsewhere = path.join(dir, 'a', 'b', 'c', 'd', 'e', 'f');
  mkdirSync(elsewhere, { recursive: true });
  process.chdir(elsewhere);
});
afterEach(() => {
  process.chdir(startedIn);
  rmSync(dir, { recursive: true, force: true });
});

/** A grid file in the test's folder; loaded from that folder, as `chronovisor sweep` would. */
const gridOf = (grid: unknown, name = 'grid.json') => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof grid === 'string' ? grid : JSON.stringify(grid));
  return () => loadGrid(file, dir);
};

describe('a sweep grid', () => {
  it('crosses its axes into cells, the last varying fastest, each with its plugin options set', () => {
    const grid = gridOf({
      scenario: example,
      axes: {
        'heap.policy': ['first-fit', 'buddy'],
        '@chronovisor/mmu.tlb.entries': [16, 64],
        seed: [3, 4],
      },
    })();
    expect(grid.name).toBe('grid');
    expect(grid.cells.map((c) => c.params)).toEqual(
      ['first-fit', 'buddy'].flatMap((policy) =>
        [16, 64].flatMap((entries) =>
          [3, 4].map((seed) => ({
            'heap.policy': policy,
            '@chronovisor/mmu.tlb.entries': entries,
            seed,
          })),
        ),
      ),
    );
    const last = grid.cells.at(-1)!;
    expect(last.cell).toBe(7);
    // The scenario's own config, with the axes' values set in it; paths relative to the folder.
    expect(last.spec).toEqual({
      scenario: path.relative(dir, example),
      plugins: [
        { name: '@chronovisor/mmu', options: { frames: 4096, tlb: { entries: 64 } } },
        { name: '@chronovisor/plugin-heap', options: { policy: 'buddy', tagBits: 8 } },
      ],
      seed: 4,
    });
  });

  it("takes a scenario axis, a config of its own and the config's seed", () => {
    writeFileSync(
      path.join(dir, 'set.json'),
      JSON.stringify({
        plugins: ['@chronovisor/mmu', '@chronovisor/plugin-heap'],
        seed: 9,
        digestInterval: 50,
      }),
    );
    const uaf = path.join(root, 'examples', 'use-after-free');
    const grid = gridOf({
      name: 'two-programs',
      config: 'set.json',
      axes: { scenario: [path.relative(dir, example), uaf], 'heap.tagBits': [4] },
    })();
    expect(grid.name).toBe('two-programs');
    expect(grid.cells.map((c) => c.spec)).toEqual(
      [example, uaf].map((s) => ({
        scenario: path.relative(dir, s),
        plugins: [
          '@chronovisor/mmu',
          { name: '@chronovisor/plugin-heap', options: { tagBits: 4 } },
        ],
        seed: 9,
        digestInterval: 50,
      })),
    );
  });

  it.each([
    ['not JSON', '{"axes":', /^Grid file .*grid\.json is not valid JSON: /],
    [
      'an empty axis',
      { scenario: example, axes: { 'heap.policy': [] } },
      /^Grid .*grid\.json is invalid: axes\.heap\.policy: an axis needs at least one value$/,
    ],
    [
      'no axis',
      { scenario: example, axes: {} },
      /is invalid: axes: a grid needs at least one axis$/,
    ],
    [
      'an unknown field',
      { scenario: example, axes: { seed: [1] }, seeds: [1] },
      /Unrecognized key: "seeds"/,
    ],
    [
      'no scenario',
      { axes: { seed: [1] } },
      /names no scenario: give "scenario", or a "scenario" axis$/,
    ],
    [
      'an axis of no plugin',
      { scenario: example, axes: { 'hep.policy': ['best-fit'] } },
      /cell 0 \(hep\.policy="best-fit"\): axis "hep\.policy" names no plugin of the set \(mmu, heap\)/,
    ],
    [
      'an option the plugin does not have',
      { scenario: example, axes: { 'heap.colour': ['blue'] } },
      /cell 0 \(heap\.colour="blue"\)[^:]*refused its options: .*colour/,
    ],
    [
      'a value the plugin refuses',
      { scenario: example, axes: { 'heap.policy': ['best-fit', 'worst-fit'] } },
      /cell 1 \(heap\.policy="worst-fit"\)[^:]*refused its options: .*policy/,
    ],
    [
      'a bad seed',
      { scenario: example, axes: { seed: [1, -2] } },
      /cell 1 \(seed=-2\): a seed is an integer from 0, not -2$/,
    ],
    [
      'a missing scenario',
      { scenario: 'nowhere', axes: { seed: [1] } },
      /cell 0 \(seed=1\): Scenario nowhere does not exist$/,
    ],
  ])('is refused, naming the file and the cell, for %s', (_what, grid, message) => {
    expect(gridOf(grid)).toThrow(message);
  });

  it('is refused when the file does not exist', () => {
    expect(() => loadGrid(path.join(dir, 'none.json'), dir)).toThrow(
      /^Grid file .*none\.json does not exist$/,
    );
  });
});
