import type { CommandContext } from '@chronovisor/core';
import { MAX_ACCESS, MmuQuery, map, protect, unmap, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { KeyObject } from 'node:crypto';
import { satisfies } from 'semver';
import {
  PackageRefused,
  decodePackage,
  publicKeyFromHex,
  verifyPackage,
  type UpdateManifest,
  type UpdatePackage,
} from './package';
import type { UpdateOutcome } from './vmm-commands';
import { VmmError } from './vmm-error';
import {
  packageRefused,
  updateReverted,
  updateStep,
  type RevertReason,
  type UpdateStep,
  type UpdateStepData,
} from './vmm-events';
import { VmmConfig } from './vmm-options';
import { VmmState } from './vmm-state';

/** Where each new VMM is staged in the VMM's space: past the code it replaces. */
const STAGE_VA = 0x1000_0000;

/** A step that failed: the update reverts from it. */
class Revert extends Error {
  constructor(
    readonly step: UpdateStep,
    readonly reason: RevertReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The update protocol of US20080189697A1, as Xen's livepatch runs it: the updater in a guest hands
 * over a package; the VMM verifies it (signature, payload, versions, dependencies) before anything
 * changes; stages the new code in its own memory; updates the guests' extensions; quiesces every
 * guest; and commits the version switch. A failure at any step after verification reverts: the
 * staged code is dropped and every extension is put back, so VMM and guests end at the old
 * versions or the new, never a mix. Version skew is checked where it could arise: extensions
 * updated while the old VMM still runs, and the new VMM against every extension at commit.
 */
export class Updater {
  private readonly trusted: ReadonlyMap<string, KeyObject>;

  constructor(
    @inject(VmmState) private readonly state: VmmState,
    @inject(VmmConfig) private readonly config: VmmConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {
    this.trusted = new Map(
      Object.entries(config.trustedKeys).map(([id, hex]) => [id, publicKeyFromHex(hex)]),
    );
  }

  update(
    from: number,
    bytes: Uint8Array,
    failAt: UpdateStep | undefined,
    context: CommandContext,
  ): UpdateOutcome {
    const vmm = this.state.vmm;
    if (!vmm) throw new VmmError('No VMM is installed: vmm.install first');
    if (!this.state.isAttached(from))
      throw new VmmError(`VM ${from} is not attached to the VMM: its updater cannot reach it`);
    if (this.state.update) throw new VmmError(`Update ${this.state.update.id} is in flight`);
    let pkg: UpdatePackage | undefined;
    let manifest: UpdateManifest;
    try {
      pkg = decodePackage(bytes, `the package from VM ${from}`);
      manifest = verifyPackage(pkg, {
        trusted: this.trusted,
        vmmVersion: vmm.version,
        applied: new Set(vmm.applied),
      });
    } catch (error) {
      if (!(error instanceof PackageRefused)) throw error;
      const id = pkg?.manifest.id; // known once the package decodes
      context.emit(packageRefused, {
        ...(id ? { id } : {}),
        from,
        reason: error.reason,
        message: error.message,
      });
      return { ok: false, refused: error.reason, message: error.message };
    }
    const { id } = manifest;
    const step = (name: UpdateStep, extra: Partial<UpdateStepData> = {}) => {
      if (failAt === name)
        throw new Revert(name, 'injected-fault', `a fault was injected at the ${name} step`);
      context.emit(updateStep, { id, step: name, from, ...extra });
    };
    // What is staged, known here as soon as it is mapped: a fault before its step is recorded
    // must still drop it.
    let staged: { va: number; pages: number } | undefined;
    try {
      step('receive');
      step('verify');
      staged = this.stage(pkg.payload, context);
      step('transfer', { staged });
      step('extensions', { changes: this.extensionChanges(manifest) });
      const quiesced = this.quiesce();
      step('quiesce', { quiesced });
      this.checkCommit(manifest);
      const blackoutMicros =
        quiesced.attempts * quiesced.guests * this.config.quiesceMicros + this.config.commitMicros;
      if (failAt === 'commit')
        throw new Revert('commit', 'injected-fault', 'a fault was injected at the commit step');
      context.call(unmap, { space: vmm.space, va: vmm.va, pages: vmm.pages });
      // The staged code becomes the running code: read and execute only from now on.
      context.call(protect, {
        space: vmm.space,
        va: staged.va,
        pages: staged.pages,
        perms: 'r-x',
        kernel: true,
      });
      step('commit', {
        commit: {
          from: vmm.version,
          to: manifest.vmm.to,
          hypercalls: manifest.hypercalls,
          compatible: manifest.compatible,
          blackoutMicros,
        },
      });
      return { ok: true, version: manifest.vmm.to, blackoutMicros };
    } catch (error) {
      if (!(error instanceof Revert)) throw error;
      if (staged) context.call(unmap, { space: vmm.space, va: staged.va, pages: staged.pages });
      context.emit(updateReverted, {
        id,
        step: error.step,
        reason: error.reason,
        message: error.message,
      });
      return { ok: false, reverted: error.reason, step: error.step, message: error.message };
    }
  }

  /** Stages the new VMM's code in the VMM's memory (past its current code); returns where. */
  private stage(payload: Uint8Array, context: CommandContext): { va: number; pages: number } {
    const vmm = this.state.vmm!;
    const { pageSize } = this.mmu.config;
    const pages = Math.max(1, Math.ceil(payload.length / pageSize));
    const va = vmm.va === STAGE_VA ? STAGE_VA + 0x1000_0000 : STAGE_VA;
    context.call(map, { space: vmm.space, va, pages, perms: 'rw-', kernel: true, lazy: false });
    for (let at = 0; at < payload.length; at += MAX_ACCESS)
      context.call(write, {
        space: vmm.space,
        va: va + at,
        data: payload.subarray(at, at + MAX_ACCESS),
        kernel: true,
      });
    return { va, pages };
  }

  /** The extension switches the update makes, checked against the VMM that still runs until commit. */
  private extensionChanges(manifest: UpdateManifest): NonNullable<UpdateStepData['changes']> {
    const vmm = this.state.vmm!;
    const changes: { vm: number; name: string; from: string; to: string }[] = [];
    for (const guest of this.state.allGuests())
      for (const [name, to] of Object.entries(manifest.extensions)) {
        const from = guest.extensions[name];
        if (from === undefined) continue; // a guest without the driver keeps without it
        const range = vmm.compatible[name];
        if (range !== undefined && !satisfies(to, range))
          throw new Revert(
            'extensions',
            'version-skew',
            `extension ${name} ${to} in VM ${guest.vm} would not work with the running VMM ${vmm.version} (it takes ${range}) until the commit`,
          );
        changes.push({ vm: guest.vm, name, from, to });
      }
    return changes;
  }

  /** Every guest quiesced, or a timeout after the configured attempts (a busy guest never is). */
  private quiesce(): { guests: number; attempts: number } {
    const guests = this.state.allGuests();
    const busy = guests.filter((g) => g.busy).map((g) => g.vm);
    if (busy.length > 0)
      throw new Revert(
        'quiesce',
        'quiesce-timeout',
        `VM ${busy.join(', VM ')} did not quiesce in ${this.config.quiesceAttempts} attempts`,
      );
    return { guests: guests.length, attempts: 1 };
  }

  /** The new VMM works with every guest's extensions as they are now. */
  private checkCommit(manifest: UpdateManifest): void {
    for (const guest of this.state.allGuests())
      for (const [name, version] of Object.entries(guest.extensions)) {
        const range = manifest.compatible[name];
        if (range !== undefined && !satisfies(version, range))
          throw new Revert(
            'commit',
            'version-skew',
            `VMM ${manifest.vmm.to} takes ${name} ${range}, but VM ${guest.vm} runs ${name} ${version}`,
          );
      }
  }
}
