import type { CommandContext } from '@chronovisor/core';
import {
  MAX_ACCESS,
  MmuQuery,
  destroySpace,
  write,
  exportCommand,
  map,
  permsOfFlags,
  remap,
} from '@chronovisor/mmu';
import { inject } from 'inversify';
import { CarriedState } from './carried-state';
import { Kernel } from './kernel';
import { ProcError } from './proc-error';
import { processMigrated } from './proc-events';
import { ProcState } from './proc-state';

/**
 * Migrates a process to another domain as US7512769B1 claims: its state is in machine memory
 * (its frames), which is remapped into a new address space in the target, on the host or inside a
 * VM: no byte is copied, each page costs a page-table update. Beside it, migration by copy: a new space with fresh frames and
 * every byte copied, as a migration between machines must. Pages pinned by I/O in flight cannot
 * be remapped (the device is writing into those frames), so they block a remap. What other plugins
 * keep about the space (its heap, its handle table) moves with it, by their restore commands.
 */
export class Migrator {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    /** What other plugins keep about a space (its heap, its handle table): it moves too. */
    @inject(CarriedState) private readonly carried: CarriedState,
  ) {}

  migrate(
    domain: string,
    pid: number,
    to: string,
    mode: 'remap' | 'copy',
    context: CommandContext,
  ): void {
    const p = this.kernel.process(domain, pid);
    const partition = this.kernel.partition(to);
    if (to === domain) throw new ProcError(`Process ${pid} is already in domain ${domain}`);
    if (this.state.process(to, pid)) throw new ProcError(`pid ${pid} is taken in domain ${to}`);
    if (p.shm.length > 0)
      throw new ProcError(
        `Process ${pid} has shared memory segments attached: detach them, or checkpoint its tree`,
      );
    if (mode === 'remap' && p.pinned.length > 0) {
      const { va, pages } = p.pinned[0]!;
      throw new ProcError(
        `Process ${pid} has ${pages} page${pages === 1 ? '' : 's'} at 0x${va.toString(16)} pinned by I/O in flight: its frames cannot be remapped until the I/O completes (or migrate by copy)`,
      );
    }
    const { pageSize } = this.mmu.config;
    const { remapMicros, copyBandwidthMBps } = this.state.config;
    let bytesCopied =
      mode === 'remap' && this.state.vmOf(domain) !== undefined
        ? this.ownGuestPages(p.space, context)
        : 0;
    const runs = this.mmu.mappings(p.space);
    const pages = runs.reduce((n, run) => n + run.pages, 0);
    const space = this.kernel.newSpace(to, context);
    let framesRemapped = 0;
    if (mode === 'remap') {
      // The process's frames are held by its host space, or, inside a VM, by the VM's stage 2
      // (at the guest-physical pages its space maps). They go to the new host space at the same
      // addresses, or into the target VM's stage 2, at guest-physical pages added above its
      // memory (hot-plugged, as virtio-mem adds memory to a running guest), which the new guest
      // space maps. The source VM's guest-physical memory shrinks by as much.
      const fromVm = this.state.vmOf(domain);
      const toVm = this.state.vmOf(to);
      const holder = fromVm ?? p.space;
      const from = this.mmu.spaces().find((s) => s.id === holder)!.partition;
      let plugged = toVm === undefined ? 0 : this.kernel.guestMemoryEnd(toVm);
      for (const run of runs) {
        const va = fromVm === undefined ? run.va : run.frame * pageSize;
        if (from !== partition)
          context.call(exportCommand, { space: holder, va, pages: run.pages, partition });
        const toVa = toVm === undefined ? run.va : plugged;
        const moved = context.call(remap, {
          from: holder,
          va,
          pages: run.pages,
          to: toVm ?? space,
          toVa,
        });
        if (!moved.ok)
          throw new ProcError(
            `The frames of process ${pid} could not be remapped into domain ${to}`,
          );
        if (toVm !== undefined) {
          context.call(map, {
            space,
            va: run.va,
            pages: run.pages,
            perms: permsOfFlags(run.flags),
            kernel: !run.flags.includes('U'),
            lazy: false,
            to: toVa,
          });
          plugged += run.pages * pageSize;
        }
        framesRemapped += run.pages;
      }
    } else {
      const chunk = MAX_ACCESS;
      bytesCopied = this.kernel.copyInto(p.space, space, chunk, context);
    }
    // Its heap and handle table follow it into the new space, before the old one goes.
    this.carried.copy(p.space, space, context);
    context.call(destroySpace, { space: p.space });
    // A page remapped into a VM costs two page-table updates: its stage 2, and the guest's table.
    const updates = framesRemapped * (this.state.vmOf(to) === undefined ? 1 : 2);
    const micros = mode === 'remap' ? updates * remapMicros : bytesCopied / copyBandwidthMBps;
    context.emit(processMigrated, {
      from: domain,
      to,
      pid,
      mode,
      space,
      pages,
      bytesCopied,
      framesRemapped,
      micros,
    });
  }

  /**
   * Before a process's guest-physical pages leave its VM: those it shares copy-on-write with
   * another process (after a fork) are made its own first, as a write would (the guest kernel
   * copies each), so that the other keeps its page. Returns the bytes those copies cost.
   */
  private ownGuestPages(space: number, context: CommandContext): number {
    const { pageSize } = this.mmu.config;
    const vm = this.mmu.spaces().find((s) => s.id === space)!.vm;
    const others = new Set<number>();
    for (const s of this.mmu.spaces())
      if (s.vm === vm && s.id !== space)
        for (const run of this.mmu.mappings(s.id))
          for (let i = 0; i < run.pages; i++) others.add(run.frame + i);
    let copied = 0;
    for (const run of this.mmu.mappings(space))
      for (let i = 0; i < run.pages; i++) {
        if (!others.has(run.frame + i)) continue;
        const va = run.va + i * pageSize;
        const kernel = !run.flags.includes('U');
        const data = this.mmu.read(space, va, 1)!;
        if (!context.call(write, { space, va, data, kernel }).ok)
          throw new ProcError(
            `Page 0x${va.toString(16)} is shared copy-on-write with another process and not writable: migrate by copy`,
          );
        copied += pageSize;
      }
    return copied;
  }
}
