import { defineCommand, returns } from '@chronovisor/core';
import { bytes, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { moduleSpecSchema } from './modules';

const name = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and -');

/** `leverage.chain`: a chain of modules in guest VM `vm`, with its failure policy and buffers. */
export const createChain = defineCommand('leverage.chain', {
  args: z.strictObject({
    name,
    vm: spaceId,
    /** The host partition whose buffers the incoming data lands in. */
    partition: partitionName,
    modules: z.array(moduleSpecSchema).min(1).max(16),
    /** A module that times out or crashes: deliver the original to the host (`open`) or drop it (`closed`). */
    failure: z.enum(['open', 'closed']).default('open'),
    /** A module taking longer than this on an item has timed out, µs. */
    timeoutMicros: z.number().min(0).default(1000),
    /** Data crosses into the guest in frames shared with the host, or copied. */
    sharing: z.enum(['shared', 'copy']).default('shared'),
    /** Ring slots in guest memory (one page each): items beyond wait at the host. */
    slots: z.number().int().min(1).max(1024).default(8),
  }),
  description:
    'Set up chain `name` of guest modules in VM `vm`: its ring in guest memory, its failure policy.',
});

/** `leverage.nic`: routes a host resource's incoming data through a chain. */
export const attachNic = defineCommand('leverage.nic', {
  args: z.strictObject({ nic: name, chain: name }),
  description: 'Route the incoming data of host resource `nic` through chain `chain`.',
});

/** `leverage.receive`: data arrives from a host resource; returns its item id. */
export const receive = defineCommand('leverage.receive', {
  args: z.strictObject({ nic: name, data: bytes }),
  description:
    'Data arrives at host resource `nic`: it goes to the guest ring, or waits; returns its item id.',
  returns: returns<number>(),
});

/** `leverage.run`: the guest's modules work through up to `items` items waiting in the chain's ring. */
export const run = defineCommand('leverage.run', {
  args: z.strictObject({
    chain: name,
    items: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(1 << 20),
  }),
  description:
    "Let chain `chain`'s guest modules work through up to `items` items in its ring, in order.",
  returns: returns<number>(),
});

/** Every command type the plugin handles. */
export const LEVERAGE_COMMANDS = [createChain, attachNic, receive, run] as const;
