import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, permsOfFlags } from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { ImageManifest, ImagePage } from './image';
import { SnapshotError } from './snapshot-error';
import { imageStored } from './snapshot-events';
import { SnapshotBootState } from './snapshot-state';

/**
 * Captures a running VM as Firecracker's snapshot does: its guest-physical memory (the pages that
 * are not zero; a page still lazy since its own snapshot boot comes from that image), its guest
 * processes' mappings, and the vCPU and device state the caller models.
 */
export class Capturer {
  constructor(
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
  ) {}

  capture(
    vm: number,
    name: string,
    extra: { vcpu?: unknown; identity?: { gpa: number; length: number } },
    context: CommandContext,
  ): void {
    if (this.state.image(name))
      throw new SnapshotError(
        `Image ${name} already exists: images are never overwritten; choose another name`,
      );
    const space = this.mmu.spaces().find((s) => s.id === vm);
    if (!space) throw new SnapshotError(`Space ${vm} does not exist`);
    if (space.kind !== 'vm')
      throw new SnapshotError(`Space ${vm} is a ${space.kind} space: capture a VM (kind vm)`);
    const { pageSize } = this.mmu.config;
    const booted = this.state.vm(vm);
    const source = booted ? this.state.image(booted.image) : undefined;
    const memory: ImageManifest['memory'][number][] = [];
    const pages: ImagePage[] = [];
    for (const run of this.mmu.mappings(vm)) {
      memory.push({ gpa: run.va, pages: run.pages, perms: permsOfFlags(run.flags) });
      for (let i = 0; i < run.pages; i++) {
        const gpa = run.va + i * pageSize;
        const data = run.frame === -1 ? source?.pages.get(gpa) : this.mmu.read(vm, gpa, pageSize);
        if (data && data.some((byte) => byte !== 0)) pages.push({ gpa, data: data.slice() });
      }
    }
    if (extra.identity) {
      const { gpa, length } = extra.identity;
      if (!memory.some((r) => gpa >= r.gpa && gpa + length <= r.gpa + r.pages * pageSize))
        throw new SnapshotError(
          `The identity (0x${gpa.toString(16)}, ${length} bytes) is not inside the VM's memory`,
        );
    }
    const guests = this.mmu
      .spaces()
      .filter((s) => s.kind === 'guest' && s.vm === vm)
      .map((g) => ({
        mappings: this.mmu.mappings(g.id).map((run) => ({
          va: run.va,
          gpa: run.frame * pageSize,
          pages: run.pages,
          perms: permsOfFlags(run.flags),
        })),
      }));
    const manifest: ImageManifest = {
      format: 1,
      name,
      pageSize,
      memory,
      guests,
      vcpu: extra.vcpu ?? null,
      ...(extra.identity ? { identity: extra.identity } : {}),
    };
    context.emit(imageStored, { name, origin: 'capture', vm, manifest, pages });
  }
}
