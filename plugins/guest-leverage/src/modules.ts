import { createDecipheriv } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { z } from 'zod';

/** What a module decides for an item. */
export const VERDICTS = ['return', 'consume', 'drop', 'forward'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A module's answer: its verdict, the bytes (transformed, for `return` and `forward`), and a reason. */
export interface ModuleResult {
  readonly verdict: Verdict;
  readonly data: Uint8Array;
  readonly reason?: string;
}

/** A module's work on one item, as a pure function of its bytes. */
export type ModuleFunction = (data: Uint8Array) => ModuleResult;

/**
 * The modules a chain may hold, declared as data (what a chain's configuration names): each
 * after a real guest-side function, working on the bytes in guest memory.
 */
export const moduleSpecSchema = z.discriminatedUnion('kind', [
  /** The last 4 bytes are the CRC-32 (little-endian) of the rest: forward the rest, or drop. */
  z.strictObject({ kind: z.literal('checksum'), microsPerKiB: z.number().min(0).default(2) }),
  /** The data is raw DEFLATE: forward it inflated; data that does not inflate crashes the module. */
  z.strictObject({
    kind: z.literal('decompress'),
    microsPerKiB: z.number().min(0).default(20),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .default(1 << 20),
  }),
  /** Data containing `pattern` is dropped (or consumed, `action`); the rest forwarded. */
  z.strictObject({
    kind: z.literal('filter'),
    pattern: z.string().min(1),
    action: z.enum(['drop', 'consume']).default('drop'),
    microsPerKiB: z.number().min(0).default(5),
  }),
  /** AES-256-CTR with `key` (64 hex digits) and a 16-byte IV prefixed to the data: forward the plaintext. */
  z.strictObject({
    kind: z.literal('decrypt'),
    key: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    microsPerKiB: z.number().min(0).default(10),
  }),
]);
export type ModuleSpec = z.output<typeof moduleSpecSchema>;
export type ModuleKind = ModuleSpec['kind'];

const pass = (data: Uint8Array): ModuleResult => ({ verdict: 'forward', data });

/** The function a module spec stands for. */
export function moduleFunction(spec: ModuleSpec): ModuleFunction {
  switch (spec.kind) {
    case 'checksum':
      return (data) => {
        if (data.length < 4) return { verdict: 'drop', data, reason: 'too short for a checksum' };
        const body = data.subarray(0, data.length - 4);
        const stored = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(
          0,
          true,
        );
        return crc32(body) === stored
          ? pass(body.slice())
          : { verdict: 'drop', data, reason: 'checksum mismatch' };
      };
    case 'decompress':
      return (data) =>
        pass(new Uint8Array(inflateRawSync(data, { maxOutputLength: spec.maxBytes })));
    case 'filter': {
      const pattern = new TextEncoder().encode(spec.pattern);
      return (data) =>
        contains(data, pattern)
          ? { verdict: spec.action, data, reason: `matches "${spec.pattern}"` }
          : pass(data);
    }
    case 'decrypt': {
      const key = Buffer.from(spec.key, 'hex');
      return (data) => {
        if (data.length < 16) throw new Error('shorter than its IV');
        const decipher = createDecipheriv('aes-256-ctr', key, data.subarray(0, 16));
        return pass(
          new Uint8Array(Buffer.concat([decipher.update(data.subarray(16)), decipher.final()])),
        );
      };
    }
  }
}

/** The simulated time a module takes on `bytes` bytes, µs. */
export function moduleMicros(spec: ModuleSpec, bytes: number): number {
  return (spec.microsPerKiB * bytes) / 1024;
}

function contains(data: Uint8Array, pattern: Uint8Array): boolean {
  outer: for (let i = 0; i + pattern.length <= data.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (data[i + j] !== pattern[j]) continue outer;
    return true;
  }
  return false;
}
