import { MmuQuery } from '@chronovisor/mmu';
import fc from 'fast-check';
import {
  deviceAdd,
  deviceSwitch,
  io,
  ioComplete,
  maintainBegin,
  maintainEnd,
  serve,
} from './service-commands';
import { ServiceState } from './service-state';
import { vmmMachine } from './test-support/vmm-machine';

describe('online maintenance', () => {
  it('hands the workload to a substitute, remapped not copied, and back: no request missed', () => {
    const { sim, vms, guestMemory } = vmmMachine();
    const mmu = sim.get(MmuQuery);
    const [vm] = vms;
    const frames = mmu.mappings(vm!).map((r) => r.frame);
    const before = guestMemory();
    const served: number[] = [];
    const request = () => {
      const result = sim.dispatch(serve, { vm: vm! });
      expect(result.rejection).toBeUndefined();
      served.push(result.value!);
    };
    request();
    const substitute = sim.dispatch(maintainBegin, { vm: vm!, partition: 'guests' }).value!;
    expect(mmu.mappings(substitute).map((r) => r.frame)).toEqual(frames); // the same frames: no copy
    expect(mmu.mappings(vm!)).toEqual([]); // the maintained instance holds nothing meanwhile
    request();
    request();
    sim.dispatch(maintainEnd, { vm: vm! });
    request();
    expect(served).toEqual([vm, substitute, substitute, vm]);
    expect(mmu.mappings(vm!).map((r) => r.frame)).toEqual(frames);
    expect(guestMemory()).toEqual(before);
    const ended = [...sim.store.read(1)].find((r) => r.type === 'vmm.maintenance.ended');
    expect(ended).toMatchObject({ data: { served: 2, pages: 64 } });
    expect(sim.get(ServiceState).servedBy(vm!)).toBe(4);
  });
});

describe('runtime device (de)virtualization', () => {
  it('loses and repeats no request across switches under load: completed = submitted, in order', () => {
    type Op = { op: 'io' } | { op: 'complete'; count: number } | { op: 'switch' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ op: 'io' as const }) },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('complete' as const),
          count: fc.integer({ min: 1, max: 4 }),
        }),
      },
      { weight: 2, arbitrary: fc.constant({ op: 'switch' as const }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { sim, vms } = vmmMachine();
        const vm = vms[0]!;
        sim.dispatch(deviceAdd, { vm, device: 'nic', mode: 'passthrough' });
        const submitted: number[] = [];
        const completed: number[] = [];
        let mode: 'passthrough' | 'mediated' = 'passthrough';
        let inFlight = 0;
        for (const step of ops) {
          if (step.op === 'io') {
            submitted.push(sim.dispatch(io, { vm, device: 'nic' }).value!);
            inFlight++;
          } else if (step.op === 'complete' && inFlight > 0) {
            const count = Math.min(step.count, inFlight);
            completed.push(...sim.dispatch(ioComplete, { vm, device: 'nic', count }).value!);
            inFlight -= count;
          } else if (step.op === 'switch') {
            mode = mode === 'passthrough' ? 'mediated' : 'passthrough';
            expect(sim.dispatch(deviceSwitch, { vm, device: 'nic', mode }).ok).toBe(true);
          }
        }
        if (inFlight > 0)
          completed.push(
            ...sim.dispatch(ioComplete, { vm, device: 'nic', count: inFlight }).value!,
          );
        expect(completed).toEqual(submitted);
        const nic = sim.get(ServiceState).device(vm, 'nic')!;
        expect(nic).toMatchObject({
          submitted: submitted.length,
          completed: submitted.length,
          inFlight: [],
        });
      }),
      { numRuns: 100 },
    );
  });
});
