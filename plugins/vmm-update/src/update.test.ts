import { MmuQuery } from '@chronovisor/mmu';
import vmmDefault, { vmmUpdatePlugin } from './index';
import { UPDATE_STEPS } from './vmm-events';
import { busy, update } from './vmm-commands';
import { keyFromSeed, updatePackage, vmmMachine } from './test-support/vmm-machine';
import { encodePackage, decodePackage, signPackage } from './package';

describe('a live VMM update', () => {
  it('is the package default export', () => {
    expect(vmmDefault).toBe(vmmUpdatePlugin);
    expect(vmmUpdatePlugin().manifest).toMatchObject({ prefix: 'vmm' });
  });

  it('goes through every step and commits: the new version, hypercalls and extensions; guest memory untouched', () => {
    const { sim, vms, query, guestMemory } = vmmMachine();
    const before = guestMemory();
    const result = sim.dispatch(update, { from: vms[0]!, package: updatePackage() });
    expect(result.value).toMatchObject({ ok: true, version: '4.17.1' });
    const steps = [...sim.store.read(1)].filter((r) => r.type === 'vmm.update.step');
    expect(steps.map((r) => (r.kind === 'event' ? (r.data as { step: string }).step : ''))).toEqual(
      [...UPDATE_STEPS],
    );
    expect(query.vmm).toMatchObject({ version: '4.17.1', applied: ['xsa-1'] });
    expect(query.vmm!.hypercalls).toContain('livepatch_op');
    expect(query.guests().map((g) => g.extensions)).toEqual([
      { netfront: '2.1.0', blkfront: '1.2.0' },
      { netfront: '2.1.0', blkfront: '1.2.0' },
    ]);
    expect(guestMemory()).toEqual(before);
    expect(query.stats().counts).toMatchObject({ committed: 1, reverted: 0 });
    // The new code runs read-and-execute only, and no fault was raised along the way.
    const code = sim.get(MmuQuery).mappings(query.vmm!.space);
    expect(code.map((r) => [r.va, r.flags.includes('W'), r.flags.includes('X')])).toEqual([
      [query.vmm!.va, false, true],
    ]);
    expect([...sim.store.read(1)].some((r) => r.type === 'mmu.fault.raised')).toBe(false);
  });

  it.each(UPDATE_STEPS.filter((s) => s !== 'receive' && s !== 'verify'))(
    'reverts from a fault injected at %s: the old version everywhere, nothing staged, guest memory untouched',
    (step) => {
      const { sim, vms, query, guestMemory } = vmmMachine();
      const vmmPages = () => sim.get(MmuQuery).mappings(query.vmm!.space);
      const before = {
        memory: guestMemory(),
        guests: query.guests(),
        vmm: query.vmm,
        pages: vmmPages(),
      };
      const result = sim.dispatch(update, {
        from: vms[0]!,
        package: updatePackage(),
        failAt: step,
      });
      expect(result.value).toMatchObject({ ok: false, reverted: 'injected-fault', step });
      expect(query.vmm).toEqual(before.vmm);
      expect(query.guests()).toEqual(before.guests);
      expect(guestMemory()).toEqual(before.memory);
      expect(query.stats().update).toBeUndefined();
      // The VMM's space holds its code as before, and no staged page.
      expect(vmmPages()).toEqual(before.pages);
      expect(query.stats().counts.reverted).toBe(1);
    },
  );

  it('times out and reverts when a guest never quiesces', () => {
    const { sim, vms, query } = vmmMachine();
    sim.dispatch(busy, { vm: vms[1]!, busy: true });
    const result = sim.dispatch(update, { from: vms[0]!, package: updatePackage() });
    expect(result.value).toMatchObject({ ok: false, reverted: 'quiesce-timeout', step: 'quiesce' });
    expect((result.value as { message: string }).message).toMatch(/did not quiesce in 3 attempts/);
    expect(query.vmm!.version).toBe('4.17.0');
    expect(query.guests()[0]!.extensions.netfront).toBe('2.0.0');
  });

  it('reverts on version skew: an extension the running VMM cannot take, or a VMM a guest cannot run', () => {
    const { sim, vms, query } = vmmMachine();
    const early = sim.dispatch(update, {
      from: vms[0]!,
      package: updatePackage({ extensions: { netfront: '3.0.0' } }),
    });
    expect(early.value).toMatchObject({ ok: false, reverted: 'version-skew', step: 'extensions' });
    const late = sim.dispatch(update, {
      from: vms[0]!,
      package: updatePackage({ compatible: { netfront: '^2.0.0', blkfront: '^2.0.0' } }),
    });
    expect(late.value).toMatchObject({ ok: false, reverted: 'version-skew', step: 'commit' });
    expect((late.value as { message: string }).message).toMatch(/VM \d+ runs blkfront 1\.2\.0/);
    expect(query.guests()[0]!.extensions).toEqual({ netfront: '2.0.0', blkfront: '1.2.0' });
  });

  it('refuses unsigned, tampered, wrong-version, unknown-key and dependency-breaking packages before anything changes', () => {
    const { sim, vms, query } = vmmMachine();
    const digest = query.stats();
    const refusal = (bytes: Uint8Array) =>
      sim.dispatch(update, { from: vms[0]!, package: bytes }).value;
    const good = decodePackage(updatePackage(), 'good');
    expect(
      refusal(encodePackage({ ...good, signature: { keyId: 'ops', value: new Uint8Array(0) } })),
    ).toMatchObject({ refused: 'unsigned' });
    const tampered = encodePackage({
      ...good,
      payload: good.payload.map((b, i) => (i === 5 ? b ^ 1 : b)),
    });
    expect(refusal(tampered)).toMatchObject({ refused: 'payload-mismatch' });
    expect(refusal(updatePackage({ vmm: { from: '4.16.0', to: '4.17.1' } }))).toMatchObject({
      refused: 'wrong-version',
    });
    const stranger = keyFromSeed(9);
    const foreign = encodePackage(
      signPackage(good.manifest, good.payload, 'stranger', stranger.privateKey),
    );
    expect(refusal(foreign)).toMatchObject({ refused: 'unknown-key' });
    expect(refusal(updatePackage({ requires: [{ id: 'xsa-0', vmm: '^4.17.0' }] }))).toMatchObject({
      refused: 'missing-dependency',
    });
    expect(refusal(Uint8Array.of(1, 2, 3))).toMatchObject({ refused: 'malformed' });
    expect(query.stats()).toEqual({ ...digest, counts: { ...digest.counts, refused: 6 } });
  });
});
