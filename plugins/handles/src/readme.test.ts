import { Simulation } from '@chronovisor/core';
import { createPartition, createSpace, mmuPlugin } from '@chronovisor/mmu';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  HandlesClient,
  HandlesQuery,
  exploreInterleavings,
  formatCounterexample,
  handlesPlugin,
  resolve,
} from './index';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README', () => {
  it('shows what its first example does', () => {
    const sim = new Simulation({ plugins: [mmuPlugin(), handlesPlugin({ identifierBits: 8 })] });
    sim.dispatch(createPartition, { name: 'p', frames: 256 });
    const space = sim.dispatch(createSpace, { kind: 'host', partition: 'p' }).value!;
    const handles = new HandlesClient(sim, space);
    const log = handles.create('file', 'app.log');
    expect(log).toBe(0x1);
    handles.close(log);
    expect(handles.create('event')).toBe(0x1000001);
    expect(sim.dispatch(resolve, { space, handle: log }).value).toMatchObject({
      ok: false,
      rejection: { reason: 'stale', identifier: 0, entry: { identifier: 1, object: 2 } },
    });
    expect(sim.get(HandlesQuery).lookup(space, log)).toBe(0);
    expect(readme).toContain("handles.create('event'); // 0x1000001");
  });

  it('shows the checker’s verdicts and counterexample as it prints them', () => {
    const real = exploreInterleavings({
      variant: 'atomic',
      initialHandles: 3,
      creates: 1,
      churn: true,
    });
    expect(real).toMatchObject({ complete: true, interleavings: 844070 });
    expect(real.violation).toBeUndefined();
    expect(readme).toContain('interleavings: 844070');
    const printed = formatCounterexample(
      exploreInterleavings({ variant: 'split-code' }).violation!,
    );
    // The README shows the lines up to the violation's, which it shortens.
    const shown = printed.split('\n').slice(0, 6).join('\n');
    expect(readme).toContain(shown);
  });
});
