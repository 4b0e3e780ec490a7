import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, bytes, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { VERDICTS, moduleSpecSchema } from './modules';

const count = z.number().int().min(0);
const item = z.number().int().min(1);
const name = z.string().min(1);

/** `leverage.chain.created`: a chain of guest modules, its ring in guest memory, its host buffer. */
export const chainCreated = defineEvent('leverage.chain.created', {
  data: z
    .object({
      name,
      vm: spaceId,
      modules: z.array(moduleSpecSchema).readonly(),
      failure: z.enum(['open', 'closed']),
      timeoutMicros: z.number().min(0),
      sharing: z.enum(['shared', 'copy']),
      slots: count,
      slotBytes: count,
      /** The host buffer space and the ring's address in it and in the guest. */
      host: spaceId,
      ring: address,
    })
    .readonly(),
  description: 'A chain of leveraged guest modules was set up, with its ring in guest memory.',
});

/** `leverage.nic.attached`: a host resource whose incoming data the chain intercepts. */
export const nicAttached = defineEvent('leverage.nic.attached', {
  data: z.object({ nic: name, chain: name, partition: partitionName }).readonly(),
  description: "A host resource's incoming data was routed through a chain of guest modules.",
});

/** `leverage.item.received`: data came in from a host resource. */
export const itemReceived = defineEvent('leverage.item.received', {
  data: z.object({ item, nic: name, chain: name, bytes: count }).readonly(),
  description: 'Incoming data arrived from a host resource, before any host module saw it.',
});

/** `leverage.item.held`: the guest's ring was full: the item waits at the host (back-pressure). */
export const itemHeld = defineEvent('leverage.item.held', {
  data: z.object({ item, chain: name, data: bytes }).readonly(),
  description: "An item waited at the host: the guest's ring was full (back-pressure).",
});

/** `leverage.item.admitted`: the item crossed into guest memory: its ring slot, shared or copied. */
export const itemAdmitted = defineEvent('leverage.item.admitted', {
  data: z
    .object({
      item,
      chain: name,
      slot: count,
      gpa: address,
      length: count,
      mode: z.enum(['shared', 'copy']),
      copied: count,
    })
    .readonly(),
  description: "An item crossed into the guest's ring, in shared frames or as a copy.",
});

/** `leverage.module.ran`: a module worked on an item and gave its verdict. */
export const moduleRan = defineEvent('leverage.module.ran', {
  data: z
    .object({
      item,
      chain: name,
      module: count,
      kind: z.string(),
      verdict: z.enum(VERDICTS),
      micros: z.number().min(0),
      reason: z.string().optional(),
    })
    .readonly(),
  description: 'A guest module worked on an item: return, consume, drop or forward.',
});

/** `leverage.module.failed`: a module timed out or crashed; the chain failed open or closed. */
export const moduleFailed = defineEvent('leverage.module.failed', {
  data: z
    .object({
      item,
      chain: name,
      module: count,
      kind: z.string(),
      failure: z.enum(['timeout', 'crash']),
      policy: z.enum(['open', 'closed']),
      message: z.string(),
    })
    .readonly(),
  marks: 'fault',
  description: 'A guest module timed out or crashed on an item; the path failed open or closed.',
});

/** The fates an item can meet: back to the host, consumed in the guest, dropped. */
export const FATES = ['returned', 'consumed', 'dropped'] as const;
export type Fate = (typeof FATES)[number];

/** `leverage.item.settled`: the item's fate, its slot free again; what the host gets, if anything. */
export const itemSettled = defineEvent('leverage.item.settled', {
  data: z
    .object({
      item,
      chain: name,
      fate: z.enum(FATES),
      /** The module that decided (absent when every module forwarded). */
      module: count.optional(),
      /** What the host's higher-level module gets back (returned items). */
      data: bytes.optional(),
      transformed: z.boolean(),
      /** Because a module failed and the path failed open or closed. */
      failed: z.boolean(),
      micros: z.number().min(0),
    })
    .readonly(),
  description: "An item's fate: returned to the host (perhaps transformed), consumed, or dropped.",
});

export type ChainCreated = DataOf<typeof chainCreated>;
export type ItemSettled = DataOf<typeof itemSettled>;

/** Every event type the plugin emits. */
export const LEVERAGE_EVENTS = [
  chainCreated,
  nicAttached,
  itemReceived,
  itemHeld,
  itemAdmitted,
  moduleRan,
  moduleFailed,
  itemSettled,
] as const;
