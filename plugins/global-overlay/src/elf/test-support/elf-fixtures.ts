/*
 * The checked-in ELF fixtures (plugins/global-overlay/fixtures, built by gcc as its README.md
 * says) and helpers that read and rearrange a 64-bit little-endian file by the gABI's offsets
 * directly, without the reader under test, so that tests can damage a file exactly where they
 * mean to.
 */
import path from 'node:path';

/** The folder holding the fixtures (the tests read them: support code does no I/O). */
export const FIXTURES = path.join(__dirname, '../../../fixtures');

/** The parts of an Elf64_Shdr that the tests move or patch, and where the header itself lies. */
export interface Shdr64 {
  readonly name: string;
  readonly headerAt: number;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly addralign: number;
}

/** e_shoff, e_shnum, e_shstrndx of an Elf64_Ehdr. */
const E_SHOFF = 40;
const E_SHNUM = 60;
const E_SHSTRNDX = 62;
const SHDR_BYTES = 64;
const SHT_NOBITS = 8;

/** A 64-bit little-endian file's section headers, named from its section header string table. */
export function sectionHeaders64(bytes: Uint8Array): Shdr64[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(view.getBigUint64(E_SHOFF, true));
  const raw = Array.from({ length: view.getUint16(E_SHNUM, true) }, (_, i) => {
    const at = shoff + i * SHDR_BYTES;
    return {
      headerAt: at,
      nameOffset: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 24, true)),
      size: Number(view.getBigUint64(at + 32, true)),
      addralign: Number(view.getBigUint64(at + 48, true)),
    };
  });
  const names = raw[view.getUint16(E_SHSTRNDX, true)]!;
  return raw.map(({ nameOffset, ...rest }) => {
    const start = names.offset + nameOffset;
    const name = Buffer.from(bytes.subarray(start, bytes.indexOf(0, start))).toString('latin1');
    return { name, ...rest };
  });
}

/** The section header named `name` (failing the test if there is none). */
export function sectionNamed(bytes: Uint8Array, name: string): Shdr64 {
  const found = sectionHeaders64(bytes).find((s) => s.name === name);
  if (!found) throw new Error(`no section ${name}`);
  return found;
}

/**
 * The same file laid out again: ELF header, then the section header table, then every section's
 * contents with `last`'s at the very end, so that cutting the file inside `last` leaves all
 * else whole. gcc puts the section headers last, where any cut would reach them first.
 */
export function withSectionLast(bytes: Uint8Array, last: string): Uint8Array {
  const headers = sectionHeaders64(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ehsize = view.getUint16(52, true);
  const tableBytes = headers.length * SHDR_BYTES;
  const moved = headers.find((s) => s.name === last);
  if (!moved) throw new Error(`no section ${last}`);
  const order = [...headers.filter((s) => s !== moved), moved];
  const placed = new Map<Shdr64, number>();
  let at = ehsize + tableBytes;
  for (const s of order) {
    if (s.type === SHT_NOBITS) continue;
    const align = Math.max(1, s.addralign);
    at = Math.ceil(at / align) * align;
    placed.set(s, at);
    at += s.size;
  }
  const out = new Uint8Array(at);
  const outView = new DataView(out.buffer);
  out.set(bytes.subarray(0, ehsize));
  outView.setBigUint64(E_SHOFF, BigInt(ehsize), true);
  headers.forEach((s, i) => {
    const headerAt = ehsize + i * SHDR_BYTES;
    out.set(bytes.subarray(s.headerAt, s.headerAt + SHDR_BYTES), headerAt);
    const to = placed.get(s);
    if (to === undefined) return;
    out.set(bytes.subarray(s.offset, s.offset + s.size), to);
    outView.setBigUint64(headerAt + 24, BigInt(to), true);
  });
  return out;
}
