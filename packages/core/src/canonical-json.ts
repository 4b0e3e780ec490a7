import { ChronovisorError } from './errors';

/** A value that is not plain data, found while encoding. */
export class NotPlainDataError extends ChronovisorError {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(
      `${path} is ${what}, which is not plain data (numbers, strings, booleans, null, arrays, objects, Uint8Array)`,
    );
  }
}

/**
 * Encodes plain data as JSON with one spelling per value, so equal data always hashes the same:
 * object keys sorted, `undefined` properties dropped, `-0` written as `0`, and each `Uint8Array`
 * written as `{"$bytes":"<base64>"}`. Anything else (functions, Maps, bigints, NaN, cycles)
 * throws a {@link NotPlainDataError} naming where it was found.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$', new Set());
}

function encode(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotPlainDataError(path, String(value));
      return Object.is(value, -0) ? '0' : String(value);
    case 'object':
      if (value === null) return 'null';
      return encodeObject(value, path, ancestors);
    default:
      throw new NotPlainDataError(path, `a ${typeof value}`);
  }
}

function encodeObject(value: object, path: string, ancestors: Set<object>): string {
  if (value instanceof Uint8Array) {
    return `{"$bytes":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
  }
  if (ancestors.has(value))
    throw new NotPlainDataError(path, 'a reference back to an enclosing value');
  ancestors.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((item, i) => encode(item, `${path}[${i}]`, ancestors)).join(',')}]`;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotPlainDataError(path, `an instance of ${value.constructor.name}`);
    }
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map(
        (key) =>
          `${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], `${path}.${key}`, ancestors)}`,
      );
    out = `{${entries.join(',')}}`;
  }
  ancestors.delete(value);
  return out;
}
