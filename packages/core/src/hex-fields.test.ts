import { z } from 'zod';
import { defineCommand, defineEvent } from './declarations';
import { hexFields, hexNumber, payloadFormatter } from './hex-fields';
import { definePlugin } from './plugin';

const address = hexNumber(z.number().int().min(0));

describe('hex fields', () => {
  it('finds the fields marked as addresses, through optionals, arrays, tuples, unions and nesting', () => {
    const schema = z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('a'),
        va: address,
        gpa: address.optional(),
        pages: z.number(),
        frames: z.array(address).readonly(),
        run: z.tuple([address, z.number()]),
        block: z.object({ at: address, size: z.number() }).readonly().optional(),
      }),
      z.object({ kind: z.literal('b'), base: address.default(0) }),
    ]);
    expect([...hexFields(schema)].sort()).toEqual(['at', 'base', 'frames', 'gpa', 'va']);
    // A copy made by a method is a schema of its own: only what was marked counts.
    expect([...hexFields(z.object({ va: address.max(10) }))]).toEqual([]);
  });

  it('formats a payload as its declaration says: addresses in hex, other numbers in decimal', () => {
    const written = defineEvent('demo.memory.written', {
      data: z.object({ space: z.number(), va: address, data: z.custom<Uint8Array>() }),
    });
    const write = defineCommand('demo.write', {
      args: z.object({ space: z.number(), va: address, length: z.number() }),
    });
    const plugin = definePlugin({
      package: { name: '@test/demo', version: '1.0.0' },
      prefix: 'demo',
      commands: [write],
      events: [written],
    });
    const format = payloadFormatter([plugin()]);
    expect(
      format('demo.memory.written', { space: 70000, va: 4096, data: Uint8Array.of(1, 2) }),
    ).toBe('{"space":70000,"va":"0x1000","data":"<2 bytes>"}');
    expect(format('demo.write', { space: 2, va: 0x20000000, length: 65536 })).toBe(
      '{"space":2,"va":"0x20000000","length":65536}',
    );
    // A type the set does not declare: every number in decimal.
    expect(format('other.thing.happened', { va: 4096 })).toBe('{"va":4096}');
  });
});
