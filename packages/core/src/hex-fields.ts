import type { z } from 'zod';
import type { Plugin } from './plugin';

/** Schemas marked as addresses (see {@link hexNumber}). */
const marked = new WeakSet<object>();

/**
 * Marks a number schema as an address: the tools show fields of this schema in hex (`0x1000`) and
 * every other number in decimal, so one record never mixes the two for one kind of value.
 */
export function hexNumber<S extends z.ZodType>(schema: S): S {
  marked.add(schema);
  return schema;
}

/** A zod schema's definition, as far as walking it needs (zod 4's `_zod.def`). */
interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly items?: readonly z.ZodType[];
  readonly valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a schema wraps or holds (an optional's inner, an array's element, a union's options…). */
function children(def: Def): z.ZodType[] {
  return [
    def.element,
    def.innerType,
    def.in,
    def.out,
    def.valueType,
    ...(def.options ?? []),
    ...(def.items ?? []),
  ].filter((s): s is z.ZodType => s !== undefined);
}

/** Whether a field's schema is an address, or wraps or holds only addresses (optional, array). */
function holdsAddresses(schema: z.ZodType, depth = 0): boolean {
  if (marked.has(schema)) return true;
  const def = defOf(schema);
  if (depth > 8 || def.type === 'object') return false;
  const inner = children(def);
  return inner.length > 0 && inner.every((s) => holdsAddresses(s, depth + 1));
}

/** The names of the fields a payload schema marks as addresses, at any depth. */
export function hexFields(schema: z.ZodType): ReadonlySet<string> {
  const names = new Set<string>();
  const seen = new Set<z.ZodType>();
  const walk = (s: z.ZodType) => {
    if (seen.has(s)) return;
    seen.add(s);
    const def = defOf(s);
    for (const [name, field] of Object.entries(def.shape ?? {})) {
      if (holdsAddresses(field)) names.add(name);
      walk(field);
    }
    children(def).forEach(walk);
  };
  walk(schema);
  return names;
}

/**
 * A record's payload as one line for people: numbers in the fields its declaration marks as
 * addresses in hex, every other number in decimal, bytes as their count. Built once per plugin set.
 */
export function payloadFormatter(
  plugins: readonly Plugin[],
): (type: string, payload: unknown) => string {
  const byType = new Map<string, ReadonlySet<string>>();
  for (const plugin of plugins)
    for (const declared of [...plugin.commands, ...plugin.events])
      byType.set(declared.type, hexFields(declared.schema));
  const none: ReadonlySet<string> = new Set();
  return (type, payload) => {
    const hex = byType.get(type) ?? none;
    return (
      JSON.stringify(payload, (key, value: unknown) =>
        value instanceof Uint8Array
          ? `<${value.length} bytes>`
          : typeof value === 'number' && hex.has(key) && Number.isInteger(value) && value >= 0
            ? `0x${value.toString(16)}`
            : typeof value === 'bigint'
              ? value.toString()
              : value,
      ) ?? 'undefined'
    );
  };
}
