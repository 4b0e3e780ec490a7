import { NullStore, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  attachNic,
  createChain,
  guestLeveragePlugin,
  receive,
  run,
  type ModuleSpec,
} from '@chronovisor/plugin-guest-leverage';
import { createCipheriv } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { figure, type Figure } from '../figure';
import { timed } from '../measure';

const ITEMS = 20_000;
const BATCH = 256;
const KEY = '42'.repeat(32);

/** A packet's payload as each chain's first module expects it. */
function payload(i: number, modules: number): Uint8Array {
  const text = new TextEncoder().encode(`GET /item/${i} HTTP/1.1 ${'x'.repeat(200)}`);
  if (modules === 1) return text;
  const body = new Uint8Array(deflateRawSync(text));
  const framed = new Uint8Array(body.length + 4);
  framed.set(body);
  new DataView(framed.buffer).setUint32(body.length, crc32(body), true);
  if (modules === 3) return framed;
  const iv = new Uint8Array(16).fill(i & 0xff);
  const cipher = createCipheriv('aes-256-ctr', Buffer.from(KEY, 'hex'), iv);
  return new Uint8Array(Buffer.concat([iv, cipher.update(framed), cipher.final()]));
}

const CHAINS: Record<number, ModuleSpec[]> = {
  1: [{ kind: 'filter', pattern: 'attack', action: 'drop', microsPerKiB: 5 }],
  3: [
    { kind: 'checksum', microsPerKiB: 2 },
    { kind: 'decompress', microsPerKiB: 20, maxBytes: 1 << 20 },
    { kind: 'filter', pattern: 'attack', action: 'drop', microsPerKiB: 5 },
  ],
  5: [
    { kind: 'decrypt', key: KEY, microsPerKiB: 10 },
    { kind: 'checksum', microsPerKiB: 2 },
    { kind: 'decompress', microsPerKiB: 20, maxBytes: 1 << 20 },
    { kind: 'filter', pattern: 'attack', action: 'drop', microsPerKiB: 5 },
    { kind: 'filter', pattern: 'ping', action: 'consume', microsPerKiB: 5 },
  ],
};

function machine() {
  const sim = new Simulation({
    plugins: [mmu.mmuPlugin({ frames: 8192 }), guestLeveragePlugin()],
    seed: 1,
    store: new NullStore(),
  });
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 4096 });
  sim.dispatch(mmu.createPartition, { name: 'guest', frames: 2048 });
  const vm = sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'guest' }).value!;
  return { sim, vm };
}

/** Items/s through a chain of `n` modules, in shared or copied buffers. */
function through(n: number, sharing: 'shared' | 'copy'): number {
  const { sim, vm } = machine();
  sim.dispatch(createChain, {
    name: 'c',
    vm,
    partition: 'host',
    modules: CHAINS[n]!,
    sharing,
    slots: BATCH,
  });
  sim.dispatch(attachNic, { nic: 'eth0', chain: 'c' });
  const items = Array.from({ length: ITEMS }, (_, i) => payload(i, n));
  const { seconds } = timed(() => {
    for (let at = 0; at < ITEMS; at += BATCH) {
      for (let i = at; i < at + BATCH && i < ITEMS; i++)
        sim.dispatch(receive, { nic: 'eth0', data: items[i]! });
      sim.dispatch(run, { chain: 'c' });
    }
  });
  return ITEMS / seconds;
}

/** The host path alone: each item lands in a host buffer and the host module reads it. */
function hostAlone(): number {
  const { sim } = machine();
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: BATCH });
  const items = Array.from({ length: ITEMS }, (_, i) => payload(i, 1));
  const { seconds } = timed(() => {
    for (let i = 0; i < ITEMS; i++) {
      const va = (i % BATCH) * 4096;
      sim.dispatch(mmu.write, { space, va, data: items[i]! });
      sim.dispatch(mmu.read, { space, va, length: items[i]!.length });
    }
  });
  return ITEMS / seconds;
}

/** Items/s through chains of 1, 3 and 5 guest modules, shared and copied, beside the host path alone. */
export function guestLeverageSuite(): Figure[] {
  through(1, 'shared'); // warm-up
  const host = hostAlone();
  return [1, 3, 5].flatMap((n) =>
    (['shared', 'copy'] as const).map((sharing) =>
      figure({
        suite: 'guest-leverage',
        name: `chain of ${n} module${n === 1 ? '' : 's'}, ${sharing} buffers: items/s (${ITEMS.toLocaleString('en-US')} items)`,
        value: through(n, sharing),
        unit: 'items/s',
        baseline: { name: 'the host path alone (land, read)', value: host },
        detail: CHAINS[n]!.map((m) => m.kind).join(' → '),
      }),
    ),
  );
}
