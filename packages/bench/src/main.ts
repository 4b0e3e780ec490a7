// `npm run bench`: runs the benchmark suites and prints each figure beside its baseline measured
// in the same run, then writes them all to bench/results.json. `npm run bench -- core` runs one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Figure } from './figure';
import { checkpointSuite } from './suites/checkpoint';
import { coreSuite } from './suites/core';
import { globalOverlaySuite } from './suites/global-overlay';
import { guestLeverageSuite } from './suites/guest-leverage';
import { handlesSuite } from './suites/handles';
import { heapSuite } from './suites/heap';
import { mmuSuite } from './suites/mmu';
import { postgresSuite } from './suites/postgres';
import { snapshotBootSuite } from './suites/snapshot-boot';
import { storeSuite } from './suites/store';
import { timetravelSuite } from './suites/timetravel';
import { uiSuite } from './suites/ui';
import { vmmUpdateSuite } from './suites/vmm-update';

// Measure what a user's runs cost: the `chronovisor` command runs in production too.
process.env.NODE_ENV ??= 'production';

const suites: Record<string, () => Figure[] | Promise<Figure[]>> = {
  core: coreSuite,
  mmu: mmuSuite,
  store: storeSuite,
  postgres: postgresSuite,
  heap: heapSuite,
  handles: handlesSuite,
  'snapshot-boot': snapshotBootSuite,
  checkpoint: checkpointSuite,
  'vmm-update': vmmUpdateSuite,
  'guest-leverage': guestLeverageSuite,
  'global-overlay': globalOverlaySuite,
  timetravel: timetravelSuite,
  ui: uiSuite,
};

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

function print(f: Figure): void {
  const better = f.lowerIsBetter ? f.ratio <= 1 : f.ratio >= 1;
  const factor = f.ratio >= 1 ? f.ratio : 1 / f.ratio;
  const ratio = `${f.ratio.toFixed(f.ratio >= 1 ? 2 : 3)}× (${factor.toFixed(1)}× ${better ? 'better' : 'worse'})`;
  console.log(`  ${f.name}`);
  console.log(`      ${format(f.value).padStart(14)} ${f.unit}`);
  console.log(
    `      ${format(f.baseline.value).padStart(14)} ${f.unit}  baseline: ${f.baseline.name}`,
  );
  console.log(`      ratio ${ratio}`);
  if (f.detail) console.log(`      ${f.detail}`);
  if (f.aim) console.log(`      aim: ${f.aim.text}: ${f.aim.met ? 'met' : 'NOT MET'}`);
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(
    `Unknown bench suite: ${unknown.join(', ')} (suites: ${Object.keys(suites).join(', ')})`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  for (const [name, suite] of Object.entries(suites)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`${name}`);
    for (const f of await suite()) {
      print(f);
      figures.push(f);
    }
  }
  save(figures);
}

function save(figures: readonly Figure[]): void {
  const out = path.join(__dirname, '..', '..', '..', 'bench', 'results.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const machine = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
  };
  // Running some suites keeps the others' last figures.
  const previous = existsSync(out)
    ? ((JSON.parse(readFileSync(out, 'utf8')) as { figures?: Figure[] }).figures ?? [])
    : [];
  const kept = previous.filter((f) => !figures.some((n) => n.suite === f.suite));
  writeFileSync(out, `${JSON.stringify({ machine, figures: [...kept, ...figures] }, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
