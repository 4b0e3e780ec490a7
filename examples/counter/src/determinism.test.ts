import {
  Simulation,
  Xoshiro128StarStar,
  canonicalJson,
  sha256Hex,
  type LogRecord,
} from '@chronovisor/core';
import { counterPlugin } from './index';

/** Runs `count` random commands drawn from `seed` on a simulation seeded with `seed`. */
function run(
  seed: number,
  count: number,
): { records: LogRecord[]; digest: string; digests: readonly unknown[] } {
  const sim = new Simulation({
    plugins: [counterPlugin({ wrapAt: 50 })],
    seed,
    digestInterval: 1_000,
  });
  const workload = new Xoshiro128StarStar(seed ^ 0x5eed);
  const names = ['a', 'b', 'c', 'd', 'e'];
  for (let i = 0; i < count; i++) {
    const name = names[workload.nextInt(0, names.length - 1)]!;
    switch (workload.nextInt(0, 3)) {
      case 0:
        sim.dispatch('counter.increment', { name, by: workload.nextInt(-3, 9) });
        break;
      case 1:
        sim.dispatch('counter.roll', { name, sides: 6 });
        break;
      case 2:
        sim.dispatch('counter.reset', { name }); // refused when the counter does not exist
        break;
      default:
        sim.dispatch('counter.increment', { name: '' }); // always refused
    }
  }
  sim.close();
  return { records: [...sim.store.read(1)], digest: sim.digest(), digests: sim.store.digests() };
}

describe('determinism', () => {
  const first = run(2024, 10_000);
  const second = run(2024, 10_000);

  it('gives identical record streams, byte for byte, for the same seed and commands', () => {
    expect(first.records.length).toBeGreaterThan(10_000);
    expect(second.records).toEqual(first.records);
    expect(sha256Hex(canonicalJson(second.records))).toBe(sha256Hex(canonicalJson(first.records)));
  });

  it('gives identical final and periodic state digests', () => {
    expect(second.digest).toBe(first.digest);
    expect(second.digests).toEqual(first.digests);
    expect(first.digests.length).toBeGreaterThanOrEqual(10);
  });

  it('gives a different digest for another seed', () => {
    expect(run(2025, 10_000).digest).not.toBe(first.digest);
  });

  it('exercises refusals and reactions, not just the happy path', () => {
    const kinds = new Set(
      first.records.map((r) => (r.kind === 'command' && r.rejection ? 'rejected' : r.type)),
    );
    expect([...kinds].sort()).toEqual([
      'counter.increment',
      'counter.reset',
      'counter.roll',
      'counter.value.incremented',
      'counter.value.reset',
      'rejected',
    ]);
    // The wrap reactor's resets leave their events, caused by the increment that reached the limit.
    expect(
      first.records.some((r) => r.type === 'counter.value.reset' && r.actor === 'plugin:counter'),
    ).toBe(true);
    expect(first.records.every((r) => r.kind === 'event' || r.cause === 0)).toBe(true);
  });
});
