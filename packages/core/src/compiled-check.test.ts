import * as fc from 'fast-check';
import { z } from 'zod';
import { compileCheck, UNDECIDED } from './compiled-check';

/** Every schema type and check that compiles, in the shapes command arguments take. */
const rich = z
  .strictObject({
    id: z.number().int().min(1),
    va: z
      .number()
      .int()
      .min(0)
      .max(2 ** 52),
    ratio: z.number().gt(-1).lt(1),
    name: z.string().min(1).max(8),
    label: z.string().regex(/^[a-z]+$/g),
    mode: z.enum(['read', 'execute']).optional(),
    kind: z.literal('host'),
    flag: z.boolean().default(false),
    by: z.number().int().default(1),
    note: z.string().nullable().optional(),
    none: z.null().optional(),
    bytes: z
      .custom<Uint8Array>((v) => v instanceof Uint8Array && v.length >= 1, 'bytes')
      .transform((v) => v.slice())
      .optional(),
    list: z.array(z.strictObject({ at: z.number().int(), size: z.number().int().min(1) })).max(3),
    loose: z.object({ x: z.number() }).optional(),
    anything: z.unknown(),
    even: z
      .number()
      .int()
      .refine((n) => n % 2 === 0, 'must be even')
      .optional(),
  })
  .superRefine((args, ctx) => {
    if (args.id === 13) ctx.addIssue({ code: 'custom', path: ['id'], message: 'unlucky' });
  });

const shape = (rich as unknown as { _zod: { def: { shape: object } } })._zod.def.shape;

/** Values near each field's edges, of the right type and of the wrong ones. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    2,
    13,
    0.5,
    2 ** 52,
    2 ** 52 + 2,
    2 ** 53,
    NaN,
    Infinity,
    -Infinity,
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', 'a', 'abc', 'ABC', 'abcdefghi', 'read', 'execute', 'host', 'x y'),
  fc.string({ maxLength: 10 }),
  fc.constantFrom(true, false, null, undefined),
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ minLength: 1, maxLength: 4 }),
  fc.array(
    fc.record({ at: fc.integer(), size: fc.integer({ min: -1, max: 3 }) }, { requiredKeys: [] }),
    { maxLength: 4 },
  ),
  fc.record({ x: fc.oneof(fc.integer(), fc.string()) }),
);

/** Objects with each field of `rich` present, missing, undefined, or odd, and stray keys. */
const input = fc
  .record(
    Object.fromEntries(Object.keys(shape).map((key) => [key, anyValue])) as Record<
      string,
      fc.Arbitrary<unknown>
    >,
    { requiredKeys: [] },
  )
  .chain((fields) =>
    fc
      .option(fc.constantFrom('extra', 'toString'), { nil: undefined })
      .map((stray) => (stray === undefined ? fields : { ...fields, [stray]: 1 })),
  );

/** A valid input built from random choices, so that the compiled path is exercised. */
const valid = fc.record(
  {
    id: fc.oneof(fc.integer({ min: 1 }), fc.constant(13)),
    va: fc.integer({ min: 0 }),
    ratio: fc.double({ min: -0.99, max: 0.99, noNaN: true }),
    name: fc.string({ minLength: 1, maxLength: 8 }),
    label: fc.stringMatching(/^[a-z]+$/),
    mode: fc.constantFrom('read', 'execute'),
    kind: fc.constant('host'),
    flag: fc.boolean(),
    by: fc.integer(),
    note: fc.option(fc.string(), { nil: null }),
    none: fc.constant(null),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
    list: fc.array(fc.record({ at: fc.integer(), size: fc.integer({ min: 1 }) }), {
      maxLength: 3,
    }),
    loose: fc.record({ x: fc.integer() }),
    anything: anyValue,
    even: fc.integer(),
  },
  { requiredKeys: ['id', 'va', 'ratio', 'name', 'label', 'kind', 'list'] },
);

/** A valid input with some optional keys given as undefined: zod keeps such keys. */
const undefinedKeys = valid.chain((fields) =>
  fc
    .subarray(['mode', 'flag', 'note', 'none', 'bytes', 'loose', 'anything', 'even'])
    .map((keys) => ({ ...fields, ...Object.fromEntries(keys.map((key) => [key, undefined])) })),
);
const inputs = fc.oneof(input, valid, undefinedKeys);

describe('compileCheck', () => {
  const check = compileCheck(rich)!;

  it('compiles every schema type and check that command arguments use', () => {
    expect(check).toBeDefined();
  });

  it('never accepts what zod refuses, and gives what zod gives', () => {
    fc.assert(
      fc.property(inputs, (value) => {
        const compiled = check(value);
        const parsed = rich.safeParse(value);
        if (compiled === UNDECIDED) return;
        expect(parsed.success).toBe(true);
        expect(compiled).toEqual(parsed.data);
        expect(Object.keys(compiled as object).sort()).toEqual(Object.keys(parsed.data!).sort());
      }),
      { numRuns: 3000 },
    );
  });

  it('decides every input that zod accepts, but for keys given as undefined', () => {
    fc.assert(
      fc.property(inputs, (value) => {
        const given = Object.values(value as object).includes(undefined);
        if (rich.safeParse(value).success && !given) expect(check(value)).not.toBe(UNDECIDED);
      }),
      { numRuns: 3000 },
    );
  });

  it('copies through a transform, so the caller keeps its own buffer', () => {
    const bytes = new Uint8Array([1, 2]);
    const out = check({
      id: 1,
      va: 0,
      ratio: 0,
      name: 'a',
      label: 'a',
      kind: 'host',
      list: [],
      anything: 0,
      bytes,
    });
    expect((out as { bytes: Uint8Array }).bytes).toEqual(bytes);
    expect((out as { bytes: Uint8Array }).bytes).not.toBe(bytes);
  });

  it.each([
    ['a union', z.union([z.string(), z.number()])],
    [
      'a refinement of a transform',
      z
        .string()
        .transform((s) => s)
        .refine((s) => s !== ''),
    ],
    ['a transform that takes zod’s context', z.string().transform((s, ctx) => (ctx ? s : s))],
    ['an object default', z.strictObject({ a: z.array(z.number()).default([]) })],
    ['a passthrough object', z.looseObject({ a: z.number() })],
    ['a string format', z.email()],
    ['a 32-bit integer', z.int32()],
    ['an integer schema of its own', z.int()],
  ])('leaves zod %s', (_case, schema) => {
    expect(compileCheck(schema as z.ZodType)).toBeUndefined();
  });
});
