import { handle, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { MmuQuery, createSpace, destroySpace, exportCommand, read, remap } from '@chronovisor/mmu';
import { inject } from 'inversify';
import {
  deviceAdd,
  deviceSwitch,
  io,
  ioComplete,
  maintainBegin,
  maintainEnd,
  serve,
} from './service-commands';
import {
  deviceAdded,
  deviceSwitched,
  ioCompleted,
  ioSubmitted,
  maintenanceBegan,
  maintenanceEnded,
  requestServed,
} from './service-events';
import { ServiceState } from './service-state';
import { VmmError } from './vmm-error';

/**
 * Online maintenance (US7451443B2): a substitute OS instance takes the workload while the first is
 * maintained, its memory moved by remapping; and runtime device (de)virtualization (US7793287B2),
 * with the requests in flight carried over to the new path in order.
 */
export class ServiceHandlers implements CommandHandlers {
  constructor(
    @inject(ServiceState) private readonly state: ServiceState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(maintainBegin, ({ vm, partition }, context) => {
      this.requireVm(vm);
      if (this.state.underMaintenance(vm))
        throw new VmmError(`VM ${vm} is under maintenance already`);
      const substitute = context.call(createSpace, { kind: 'vm', partition });
      const pages = this.move(vm, substitute, partition, context);
      context.emit(maintenanceBegan, { vm, substitute, partition, pages });
      return substitute;
    }),

    handle(maintainEnd, ({ vm }, context) => {
      const m = this.state.underMaintenance(vm);
      if (!m) throw new VmmError(`VM ${vm} is not under maintenance`);
      const partition = this.mmu.spaces().find((s) => s.id === vm)!.partition;
      const pages = this.move(m.substitute, vm, partition, context);
      context.call(destroySpace, { space: m.substitute });
      context.emit(maintenanceEnded, { vm, substitute: m.substitute, pages, served: m.served });
    }),

    handle(serve, ({ vm }, context) => {
      this.requireVm(vm);
      const by = this.state.underMaintenance(vm)?.substitute ?? vm;
      // The request reads the workload's state wherever it runs now: a miss would fault here.
      const first = this.mmu.mappings(by)[0];
      if (!first)
        throw new VmmError(
          `The workload of VM ${vm} has no memory in instance ${by}: the request would be missed`,
        );
      const outcome = context.call(read, { space: by, va: first.va, length: 8 });
      if (!outcome.ok)
        throw new VmmError(
          `Instance ${by} faulted serving VM ${vm}'s request: the request was missed`,
        );
      const request = this.state.servedBy(vm) + 1;
      context.emit(requestServed, { vm, request, by });
      return by;
    }),

    handle(deviceAdd, ({ vm, device, mode }, context) => {
      this.requireVm(vm);
      if (this.state.device(vm, device))
        throw new VmmError(`VM ${vm} has a device ${device} already`);
      context.emit(deviceAdded, { vm, device, mode });
    }),

    handle(io, ({ vm, device }, context) => {
      const d = this.deviceOf(vm, device);
      const request = d.submitted + 1;
      context.emit(ioSubmitted, { vm, device, request, mode: d.mode });
      return request;
    }),

    handle(ioComplete, ({ vm, device, count }, context) => {
      const d = this.deviceOf(vm, device);
      if (count > d.inFlight.length)
        throw new VmmError(
          `Device ${device} of VM ${vm} has ${d.inFlight.length} requests in flight, not ${count}`,
        );
      const requests = d.inFlight.slice(0, count);
      context.emit(ioCompleted, { vm, device, requests, mode: d.mode });
      return requests;
    }),

    handle(deviceSwitch, ({ vm, device, mode }, context) => {
      const d = this.deviceOf(vm, device);
      if (d.mode === mode) throw new VmmError(`Device ${device} of VM ${vm} is ${mode} already`);
      context.emit(deviceSwitched, {
        vm,
        device,
        from: d.mode,
        to: mode,
        inFlight: d.inFlight.length,
      });
    }),
  ];

  /** Remaps every page of `from` to the same addresses in `to` (exported first across partitions). */
  private move(from: number, to: number, partition: string, context: CommandContext): number {
    const source = this.mmu.spaces().find((s) => s.id === from)!.partition;
    let pages = 0;
    for (const run of this.mmu.mappings(from)) {
      if (source !== partition)
        context.call(exportCommand, { space: from, va: run.va, pages: run.pages, partition });
      const moved = context.call(remap, { from, va: run.va, pages: run.pages, to, toVa: run.va });
      if (!moved.ok)
        throw new VmmError(`The memory of space ${from} could not be remapped to space ${to}`);
      pages += run.pages;
    }
    return pages;
  }

  private requireVm(vm: number): void {
    if (this.mmu.spaces().find((s) => s.id === vm)?.kind !== 'vm')
      throw new VmmError(`Space ${vm} is not a VM (kind vm)`);
  }

  private deviceOf(vm: number, device: string) {
    const d = this.state.device(vm, device);
    if (!d) throw new VmmError(`VM ${vm} has no device ${device}; add it with vmm.device-add`);
    return d;
  }
}
