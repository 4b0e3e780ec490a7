import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** SHA-256 of a string (as UTF-8) or of bytes, in lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of the canonical encoding of plain data: equal data, equal digest. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
