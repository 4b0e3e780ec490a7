import { Projector, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { createCipheriv } from 'node:crypto';
import leverageDefault, { guestLeveragePlugin } from './index';
import { receive, run } from './leverage-commands';
import type { ItemSettled } from './leverage-events';
import { fateDifferences } from './verdict-diff';
import { deflated, leverageMachine, text, withCrc } from './test-support/leverage-machine';

/** Every settled item's fate and what the host got. */
function settled(records: Iterable<{ type: string; kind: string }>): ItemSettled[] {
  return [...records]
    .filter(
      (r): r is EventRecord<ItemSettled> =>
        r.kind === 'event' && r.type === 'leverage.item.settled',
    )
    .map((r) => r.data);
}

describe('leveraged guest modules', () => {
  it('is the package default export', () => {
    expect(leverageDefault).toBe(guestLeveragePlugin);
  });

  it('gives every verdict: returned (transformed), consumed, dropped; items in = out, per chain', () => {
    const {
      sim,
      run: ok,
      query,
    } = leverageMachine([
      { kind: 'checksum' },
      { kind: 'decompress' },
      { kind: 'filter', pattern: 'attack' },
      { kind: 'filter', pattern: 'ping', action: 'consume' },
    ]);
    const inputs = [
      withCrc(deflated('GET /index.html')), // returned, inflated
      withCrc(deflated('an attack')), // dropped by the filter
      withCrc(deflated('ping')), // consumed in the guest
      withCrc(deflated('hello'), false), // dropped: checksum mismatch
    ];
    for (const data of inputs) ok(receive, { nic: 'eth0', data });
    expect(ok(run, { chain: 'c' })).toBe(4);
    const fates = settled(sim.store.read(1));
    expect(fates.map((f) => f.fate)).toEqual(['returned', 'dropped', 'consumed', 'dropped']);
    expect(new TextDecoder().decode(fates[0]!.data)).toBe('GET /index.html');
    expect(fates[0]!.transformed).toBe(true);
    expect(fates.map((f) => f.module)).toEqual([undefined, 2, 3, 0]);
    expect(query.chain('c')).toMatchObject({
      balanced: true,
      counts: { received: 4, returned: 1, consumed: 1, dropped: 2 },
    });
  });

  it('decrypts with the chain key', () => {
    const key = '11'.repeat(32);
    const { sim, run: ok } = leverageMachine([{ kind: 'decrypt', key }]);
    const iv = new Uint8Array(16).fill(3);
    const cipher = createCipheriv('aes-256-ctr', Buffer.from(key, 'hex'), iv);
    const sealed = Buffer.concat([iv, cipher.update(text('secret payload')), cipher.final()]);
    ok(receive, { nic: 'eth0', data: new Uint8Array(sealed) });
    ok(run, { chain: 'c' });
    expect(new TextDecoder().decode(settled(sim.store.read(1))[0]!.data)).toBe('secret payload');
  });

  it.each([
    ['open', 'returned'],
    ['closed', 'dropped'],
  ] as const)(
    'fails %s when a module crashes or times out: the item is %s, recorded',
    (failure, fate) => {
      const {
        sim,
        run: ok,
        query,
      } = leverageMachine(
        [{ kind: 'decompress' }, { kind: 'filter', pattern: 'x', microsPerKiB: 100_000 }],
        { failure, timeoutMicros: 50 },
      );
      ok(receive, { nic: 'eth0', data: text('not deflate at all') }); // the decompressor crashes
      ok(receive, { nic: 'eth0', data: deflated('a'.repeat(100)) }); // the filter times out
      ok(run, { chain: 'c' });
      const failures = [...sim.store.read(1)].filter((r) => r.type === 'leverage.module.failed');
      expect(failures).toMatchObject([
        { data: { module: 0, failure: 'crash', policy: failure } },
        { data: { module: 1, failure: 'timeout', policy: failure } },
      ]);
      const fates = settled(sim.store.read(1));
      expect(fates.map((f) => [f.fate, f.failed])).toEqual([
        [fate, true],
        [fate, true],
      ]);
      if (fate === 'returned') expect(fates[0]!.data).toEqual(text('not deflate at all')); // the original
      expect(query.chain('c')!.counts.failed).toBe(2);
    },
  );

  it('applies back-pressure when the guest is slow: items wait at the host, none lost, in order', () => {
    const {
      sim,
      run: ok,
      query,
    } = leverageMachine([{ kind: 'filter', pattern: 'z' }], { slots: 2 });
    const ids = Array.from({ length: 7 }, (_, i) =>
      ok(receive, { nic: 'eth0', data: text(`item ${i}`) }),
    );
    expect(query.chain('c')).toMatchObject({ inRing: 2, waiting: 5, balanced: true });
    expect(ok(run, { chain: 'c', items: 3 })).toBe(3);
    expect(query.chain('c')).toMatchObject({ inRing: 2, waiting: 2, balanced: true });
    ok(run, { chain: 'c' });
    const fates = settled(sim.store.read(1));
    expect(fates.map((f) => f.item)).toEqual(ids);
    expect(fates.map((f) => new TextDecoder().decode(f.data))).toEqual(
      ids.map((_, i) => `item ${i}`),
    );
    expect(query.chain('c')).toMatchObject({
      inRing: 0,
      waiting: 0,
      balanced: true,
      counts: { held: 5, returned: 7 },
    });
  });

  it('crosses into guest memory shared (no copy) or copied (counted)', () => {
    for (const sharing of ['shared', 'copy'] as const) {
      const { run: ok, query } = leverageMachine([{ kind: 'filter', pattern: 'z' }], { sharing });
      ok(receive, { nic: 'eth0', data: new Uint8Array(1000).fill(1) });
      ok(run, { chain: 'c' });
      expect(query.chain('c')!.counts).toMatchObject(
        sharing === 'shared'
          ? { bytesCopied: 0, bytesShared: 1000 }
          : { bytesCopied: 1000, bytesShared: 0 },
      );
    }
  });

  it('lists every item whose fate another chain changes, and rebuilds its state from the log', () => {
    const inputs = ['hello', 'an attack', 'ping', 'attack at dawn'].map((s) => text(s));
    const runWith = (pattern: string) => {
      const m = leverageMachine([{ kind: 'filter', pattern }]);
      for (const data of inputs) m.run(receive, { nic: 'eth0', data });
      m.run(run, { chain: 'c' });
      return m;
    };
    const [a, b] = [runWith('attack'), runWith('ping')];
    expect(fateDifferences(a.sim.store.read(1), b.sim.store.read(1))).toEqual([
      { item: 2, recorded: 'dropped', reexecuted: 'returned' },
      { item: 3, recorded: 'returned', reexecuted: 'dropped' },
      { item: 4, recorded: 'dropped', reexecuted: 'returned' },
    ]);
    const projector = new Projector([mmuPlugin({ frames: 1024 }), guestLeveragePlugin()], 1);
    for (const r of a.sim.store.read(1)) if (r.kind === 'event') projector.apply(r);
    expect(projector.digest()).toBe(a.sim.digest());
  });
});
