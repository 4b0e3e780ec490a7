import { handle, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { MmuQuery, createSpace, exportCommand, map, share, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { chainPipeline, runPipeline } from './chain-pipeline';
import { attachNic, createChain, receive, run } from './leverage-commands';
import { LeverageError } from './leverage-error';
import {
  chainCreated,
  itemAdmitted,
  itemHeld,
  itemReceived,
  itemSettled,
  moduleFailed,
  moduleRan,
  nicAttached,
} from './leverage-events';
import { LeverageState, type Chain } from './leverage-state';

/** Where each chain's ring lies, in the guest's physical memory and in the host buffer space. */
const RING = 0x4000_0000;

/**
 * The path of US20070294690A1: incoming data from a host resource is intercepted, before any host
 * module sees it, by a chain of leveraged modules in a guest. It crosses into guest memory (in
 * frames the host shares with the guest, or copied), each module works on it and decides, and the
 * path returns it to the host (possibly transformed), or it is consumed or dropped in the guest.
 * Every item's fate is an event; items beyond the ring wait at the host, in order.
 */
export class LeverageHandlers implements CommandHandlers {
  constructor(
    @inject(LeverageState) private readonly state: LeverageState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(createChain, (args, context) => {
      if (this.state.chain(args.name)) throw new LeverageError(`Chain ${args.name} exists already`);
      const vm = this.mmu.spaces().find((s) => s.id === args.vm);
      if (vm?.kind !== 'vm')
        throw new LeverageError(`Space ${args.vm} is not a VM: leveraged modules run in a guest`);
      const { pageSize } = this.mmu.config;
      const host = context.call(createSpace, { kind: 'host', partition: args.partition });
      context.call(map, {
        space: host,
        va: RING,
        pages: args.slots,
        perms: 'rw-',
        kernel: true,
        lazy: false,
      });
      if (args.sharing === 'shared') {
        if (vm.partition !== args.partition)
          context.call(exportCommand, {
            space: host,
            va: RING,
            pages: args.slots,
            partition: vm.partition,
          });
        const shared = context.call(share, {
          from: host,
          va: RING,
          pages: args.slots,
          to: args.vm,
          toVa: RING,
          perms: 'rw-',
        });
        if (!shared.ok) throw new LeverageError(`The ring could not be shared with VM ${args.vm}`);
      } else
        context.call(map, {
          space: args.vm,
          va: RING,
          pages: args.slots,
          perms: 'rw-',
          kernel: false,
          lazy: false,
        });
      context.emit(chainCreated, {
        name: args.name,
        vm: args.vm,
        modules: args.modules,
        failure: args.failure,
        timeoutMicros: args.timeoutMicros,
        sharing: args.sharing,
        slots: args.slots,
        slotBytes: pageSize,
        host,
        ring: RING,
      });
    }),

    handle(attachNic, ({ nic, chain }, context) => {
      const c = this.chainNamed(chain);
      if (this.state.chainOf(nic))
        throw new LeverageError(`Host resource ${nic} is routed already`);
      const partition = this.mmu.spaces().find((s) => s.id === c.host)!.partition;
      context.emit(nicAttached, { nic, chain, partition });
    }),

    handle(receive, ({ nic, data }, context) => {
      const chain = this.state.chainOf(nic);
      if (!chain)
        throw new LeverageError(
          `Host resource ${nic} is not routed through a chain; attach it with leverage.nic`,
        );
      const c = this.chainNamed(chain);
      if (data.length > c.slotBytes)
        throw new LeverageError(
          `An item of ${data.length} bytes does not fit a ${c.slotBytes}-byte ring slot`,
        );
      const item = this.state.lastItem + 1;
      context.emit(itemReceived, { item, nic, chain, bytes: data.length });
      if (c.queue.length < c.slots && c.waiting.length === 0) this.admit(c, item, data, context);
      else context.emit(itemHeld, { item, chain, data: data.slice() });
      return item;
    }),

    handle(run, ({ chain, items }, context) => {
      const c0 = this.chainNamed(chain);
      const pipeline = chainPipeline(c0.modules, c0.timeoutMicros);
      let done = 0;
      for (; done < items; done++) {
        const c = this.chainNamed(chain);
        const next = c.queue[0];
        if (!next) break;
        const data = this.mmu.read(c.vm, next.gpa, next.length) ?? new Uint8Array(0);
        const flow = runPipeline(pipeline, data);
        for (const step of flow.steps) context.emit(moduleRan, { item: next.item, chain, ...step });
        if (flow.failure) {
          context.emit(moduleFailed, {
            item: next.item,
            chain,
            ...flow.failure,
            policy: c.failure,
          });
          const open = c.failure === 'open';
          context.emit(itemSettled, {
            item: next.item,
            chain,
            fate: open ? 'returned' : 'dropped',
            module: flow.failure.module,
            ...(open ? { data } : {}),
            transformed: false,
            failed: true,
            micros: flow.micros,
          });
        } else {
          const verdict = flow.ended?.verdict ?? 'return';
          const fate =
            verdict === 'return' ? 'returned' : verdict === 'consume' ? 'consumed' : 'dropped';
          context.emit(itemSettled, {
            item: next.item,
            chain,
            fate,
            ...(flow.ended ? { module: flow.ended.module } : {}),
            ...(fate === 'returned' ? { data: flow.data } : {}),
            transformed: fate === 'returned' && !sameBytes(flow.data, data),
            failed: false,
            micros: flow.micros,
          });
        }
        // The slot is free: the oldest item waiting at the host comes in.
        const after = this.chainNamed(chain);
        const waiting = after.waiting[0];
        if (waiting) this.admit(after, waiting.item, waiting.data, context);
      }
      return done;
    }),
  ];

  /** Puts an item in the lowest free ring slot: written once into shared frames, or copied in. */
  private admit(c: Chain, item: number, data: Uint8Array, context: CommandContext): void {
    const used = new Set(c.queue.map((q) => q.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    const gpa = c.ring + slot * c.slotBytes;
    // The host resource's DMA lands in the host buffer; with sharing, that is guest memory too.
    if (data.length > 0) context.call(write, { space: c.host, va: gpa, data, kernel: true });
    let copied = 0;
    if (c.sharing === 'copy' && data.length > 0) {
      context.call(write, { space: c.vm, va: gpa, data });
      copied = data.length;
    }
    context.emit(itemAdmitted, {
      item,
      chain: c.name,
      slot,
      gpa,
      length: data.length,
      mode: c.sharing,
      copied,
    });
  }

  private chainNamed(name: string): Chain {
    const c = this.state.chain(name);
    if (!c) throw new LeverageError(`No chain ${name}; set it up with leverage.chain`);
    return c;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
