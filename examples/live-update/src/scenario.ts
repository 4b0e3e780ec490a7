import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  load,
  read,
  readElfGlobals,
  retire,
  write,
  type GlobalDecl,
} from '@chronovisor/plugin-global-overlay';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The ELF objects the versions are read from (built with gcc from the C beside them). */
export const FIXTURES = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'plugins',
  'global-overlay',
  'fixtures',
);

/** A version's globals, read from its ELF object's symbol table. */
export function globalsOf(
  file: string,
): { name: string; type: string; size: number; align: number; initial?: Uint8Array }[] {
  return readElfGlobals(readFileSync(path.join(FIXTURES, file)), file).map((g: GlobalDecl) => ({
    name: g.name,
    type: g.type,
    size: g.size,
    align: g.align,
    ...(g.initial ? { initial: g.initial } : {}),
  }));
}

const le32 = (n: number): Uint8Array =>
  Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);

/**
 * Multi-version live update over a global-variable overlay (US10528479B2), with versions read
 * from real ELF objects: v1 runs; v2 loads beside it (a global added, `name` grown from 16 to 32
 * bytes with a transformer that copies the old bytes); a request served by v1 is seen by v2 in
 * their common `counter`; v3 drops `total`, and is rolled back: v2 runs on as it was, apart
 * from the value v3 wrote to a global they share, which the retirement reports.
 */
export default function liveUpdate(sim: Simulation): void {
  const ok = <T>(result: { ok: boolean; value?: T; rejection?: { message: string } }): T => {
    if (!result.ok) throw new Error(result.rejection!.message);
    return result.value as T;
  };
  const ops = { actor: 'ops' };
  ok(sim.dispatch(mmu.createPartition, { name: 'app', frames: 512 }, ops));
  const as = (version: string) => ({ actor: `kv:${version}` });
  ok(
    sim.dispatch(
      load,
      { program: 'kv', version: 'v1', partition: 'app', globals: globalsOf('counter-v1.o') },
      ops,
    ),
  );
  ok(
    sim.dispatch(
      write,
      { program: 'kv', version: 'v1', global: 'counter', data: le32(6) },
      as('v1'),
    ),
  );
  ok(
    sim.dispatch(
      load,
      {
        program: 'kv',
        version: 'v2',
        partition: 'app',
        globals: globalsOf('counter-v2.o'),
        transformers: { name: { kind: 'copy' } },
      },
      ops,
    ),
  );
  // v1 still serves: its counter is v2's too.
  ok(
    sim.dispatch(
      write,
      { program: 'kv', version: 'v1', global: 'counter', data: le32(7) },
      as('v1'),
    ),
  );
  ok(sim.dispatch(read, { program: 'kv', version: 'v2', global: 'counter' }, as('v2')));
  ok(
    sim.dispatch(
      write,
      { program: 'kv', version: 'v2', global: 'errors', data: le32(1) },
      as('v2'),
    ),
  );
  ok(sim.dispatch(retire, { program: 'kv', version: 'v1' }, ops));
  ok(
    sim.dispatch(
      load,
      { program: 'kv', version: 'v3', partition: 'app', globals: globalsOf('counter-v3.o') },
      ops,
    ),
  );
  ok(
    sim.dispatch(
      write,
      { program: 'kv', version: 'v3', global: 'counter', data: le32(8) },
      as('v3'),
    ),
  );
  ok(sim.dispatch(retire, { program: 'kv', version: 'v3' }, ops)); // the rollback
}
