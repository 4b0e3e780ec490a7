import { Simulation, Xoshiro128StarStar } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { SqliteStore, exportNdjson, importNdjson, verifyRun } from '@chronovisor/store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { reexecute } from './reexecute';
import { replayState } from './replay-state';
import * as mmu from '@chronovisor/mmu';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-roundtrip-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('record → SQLite → NDJSON → import → replay gives the same digests, and the copy verifies', () => {
  const plugins = [mmuPlugin({ frames: 512 })];
  const original = SqliteStore.create(path.join(dir, 'run.db'), { manifest: { seed: 3 } });
  const sim = new Simulation({ plugins, seed: 3, store: original, digestInterval: 700 });
  sim.dispatch(mmu.createPartition, { name: 'vm1', frames: 256 });
  const vm = sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'vm1' }).value!;
  const guest = sim.dispatch(mmu.createSpace, { kind: 'guest', vm }).value!;
  sim.dispatch(mmu.map, { space: vm, va: 0, pages: 16 });
  sim.dispatch(mmu.map, { space: guest, va: 0x400000, pages: 16, to: 0 });
  const rng = new Xoshiro128StarStar(3);
  for (let i = 0; i < 3000; i++) {
    const va = 0x400000 + rng.nextInt(0, 17) * 4096 + rng.nextInt(0, 511) * 8;
    if (i % 3 === 0)
      sim.dispatch(mmu.write, { space: guest, va, data: Uint8Array.of(i & 0xff, 1, 2) });
    else sim.dispatch(mmu.read, { space: guest, va, length: 8 });
  }
  sim.close();
  const finalDigest = sim.digest();

  const ndjson = path.join(dir, 'run.ndjson');
  exportNdjson(original, original.manifest(), ndjson);
  original.close();
  const { store: copy } = importNdjson(ndjson, (header) =>
    SqliteStore.create(path.join(dir, 'copy.db'), header),
  );
  (copy as SqliteStore).close();

  const reopened = SqliteStore.open(path.join(dir, 'copy.db'), { readonly: true });
  const replayed = replayState(reopened, plugins);
  expect(replayed).toMatchObject({ ok: true, finalDigest });
  expect(replayed.digestsChecked).toBeGreaterThan(5);
  expect(reexecute(reopened, plugins, { seed: 3 }).identical).toBe(true);
  reopened.close();
  expect(verifyRun(path.join(dir, 'copy.db'))).toMatchObject({ ok: true });
});
