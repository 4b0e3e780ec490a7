import { ElfError } from './elf-error';
import {
  EI_CLASS,
  EI_DATA,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ELF_MAGIC,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  LAYOUT_32,
  LAYOUT_64,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  hexBytes,
  type ClassLayout,
} from './layout';

/** One section header, with its name looked up in the section header string table. */
export interface ElfSection {
  /** Its index in the section header table, as symbols' st_shndx name it. */
  readonly index: number;
  readonly name: string;
  readonly type: number;
  /** Its address in memory (sh_addr): 0 in a relocatable object. Kept exact: it may pass 2^53. */
  readonly address: bigint;
  /** Where its contents lie in the file (sh_offset), unchecked until they are read. */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly addralign: number;
  readonly entsize: number;
}

/** An ELF file's header and section headers, each checked against the file as it was read. */
export interface ElfFile {
  readonly source: string;
  readonly layout: ClassLayout;
  /** e_type: ET_REL, ET_EXEC or ET_DYN. */
  readonly type: number;
  readonly sections: readonly ElfSection[];
  /** A little-endian reader over the file that names `source` when it runs off the end. */
  readonly reader: ElfReader;
}

/**
 * Reads what the fields of a little-endian ELF file hold, refusing (with an {@link ElfError}
 * naming the part) to read past the end of the file.
 */
export class ElfReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    readonly layout: ClassLayout,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(at: number): number {
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  /** An address, offset or size field: 4 bytes in a 32-bit file, 8 in a 64-bit one. */
  word(at: number): bigint {
    return this.layout.word === 4
      ? BigInt(this.view.getUint32(at, true))
      : this.view.getBigUint64(at, true);
  }

  /**
   * A word as a number. Values past 2^53 come out rounded, which does not matter: an offset or
   * size that large fails the bounds checks of any file there is.
   */
  wordNumber(at: number): number {
    return Number(this.word(at));
  }

  /** Refuses a file too short to hold `length` bytes of `part` at `offset`. */
  need(part: string, offset: number, length: number): void {
    const found = Math.max(0, this.bytes.length - offset);
    if (found < length)
      throw new ElfError(
        `${this.source} is truncated in ${part} (at byte ${offset}): expected ${length} bytes, found ${found}`,
      );
  }

  /**
   * A section's contents (a view, not a copy): none for a NOBITS section like .bss. `part` names
   * them in a message, for a section whose name is not yet known.
   */
  contents(section: ElfSection, part = `section ${section.name}'s contents`): Uint8Array {
    if (section.type === SHT_NOBITS) return new Uint8Array(0);
    this.need(part, section.offset, section.size);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }
}

/**
 * The NUL-terminated string at `offset` in a string table's contents, or undefined when the
 * offset is past the table or the string runs off its end unterminated.
 */
export function stringAt(table: Uint8Array, offset: number): string | undefined {
  if (offset >= table.length) return undefined;
  const end = table.indexOf(0, offset);
  if (end < 0) return undefined;
  return new TextDecoder().decode(table.subarray(offset, end));
}

/**
 * Reads an ELF file's header and its section headers, names and all. 32- and 64-bit,
 * little-endian only; relocatable objects, executables and shared objects. Throws an
 * {@link ElfError} naming `source` and the part at fault.
 */
export function readElfFile(bytes: Uint8Array, source: string): ElfFile {
  const layout = readIdent(bytes, source);
  const reader = new ElfReader(bytes, source, layout);
  const h = layout.header;
  reader.need('its ELF header', 0, h.bytes);

  const type = reader.u16(h.type);
  if (type !== ET_REL && type !== ET_EXEC && type !== ET_DYN)
    throw new ElfError(
      `${source} has e_type ${type} (at byte ${h.type}): only relocatable objects (${ET_REL}), executables (${ET_EXEC}) and shared objects (${ET_DYN}) have globals to read`,
    );
  const shoff = reader.wordNumber(h.shoff);
  if (shoff === 0)
    throw new ElfError(
      `${source} has no section header table (e_shoff at byte ${h.shoff} is 0), so it has no symbols to read`,
    );
  const shentsize = reader.u16(h.shentsize);
  if (shentsize < layout.sectionHeader.bytes)
    throw new ElfError(
      `${source} has an e_shentsize of ${shentsize} (at byte ${h.shentsize}): a ${layout.bits}-bit section header needs ${layout.sectionHeader.bytes}`,
    );

  const headerAt = (index: number): number => {
    const at = shoff + index * shentsize;
    reader.need(`section header ${index}`, at, layout.sectionHeader.bytes);
    return at;
  };
  // Extended numbering (gABI): with 0xff00 sections or more, e_shnum is 0 and section header 0's
  // sh_size holds the count; e_shstrndx is SHN_XINDEX and section header 0's sh_link holds it.
  let count = reader.u16(h.shnum);
  if (count === 0) count = reader.wordNumber(headerAt(0) + layout.sectionHeader.size);
  let namesIndex = reader.u16(h.shstrndx);
  if (namesIndex === SHN_XINDEX) namesIndex = reader.u32(headerAt(0) + layout.sectionHeader.link);

  const unnamed = Array.from({ length: count }, (_, index) =>
    readSection(reader, headerAt(index), index),
  );
  if (namesIndex === SHN_UNDEF)
    throw new ElfError(
      `${source} has no section header string table (e_shstrndx at byte ${h.shstrndx} is 0), so its .data and .bss cannot be told apart from other sections`,
    );
  const namesSection = unnamed[namesIndex];
  if (!namesSection)
    throw new ElfError(
      `${source} has a section header string table index of ${namesIndex} (e_shstrndx, at byte ${h.shstrndx}), out of range: it has ${count} sections`,
    );
  const names = reader.contents(
    { ...namesSection, name: '' },
    `the section header string table's contents (section ${namesIndex})`,
  );
  const sections = unnamed.map((section) => {
    const name = stringAt(names, section.nameOffset);
    if (name === undefined)
      throw new ElfError(
        `${source}'s section header ${section.index} has a name offset of ${section.nameOffset} (sh_name), out of its section header string table (${names.length} bytes)`,
      );
    return { ...section, name };
  });
  return { source, layout, type, sections, reader };
}

/** Checks e_ident: the magic, a class this reads, and little-endian data. */
function readIdent(bytes: Uint8Array, source: string): ClassLayout {
  const start = bytes.subarray(0, ELF_MAGIC.length);
  if (bytes.length === 0 || !start.every((byte, i) => byte === ELF_MAGIC[i]))
    throw new ElfError(
      `${source} is not an ELF file: it starts with ${hexBytes(start)}, not the ELF magic ${hexBytes(ELF_MAGIC)}`,
    );
  const fileClass = bytes[EI_CLASS];
  const data = bytes[EI_DATA];
  // A file cut inside e_ident is reported as a truncated ELF header, which is what it is.
  if (fileClass === undefined || data === undefined)
    new ElfReader(bytes, source, LAYOUT_32).need('its ELF header', 0, LAYOUT_32.header.bytes);
  if (fileClass !== ELFCLASS32 && fileClass !== ELFCLASS64)
    throw new ElfError(
      `${source} has an unsupported ELF class ${fileClass} (e_ident[EI_CLASS], at byte ${EI_CLASS}): only 1 (32-bit) and 2 (64-bit) are read`,
    );
  if (data === ELFDATA2MSB)
    throw new ElfError(
      `${source} is a big-endian ELF file (e_ident[EI_DATA] is ${ELFDATA2MSB}, at byte ${EI_DATA}): only little-endian files are read`,
    );
  if (data !== ELFDATA2LSB)
    throw new ElfError(
      `${source} has an unsupported ELF data encoding ${data} (e_ident[EI_DATA], at byte ${EI_DATA}): only 1 (little-endian) is read`,
    );
  return fileClass === ELFCLASS32 ? LAYOUT_32 : LAYOUT_64;
}

/** The section header at `at`, its name not yet looked up. */
function readSection(
  reader: ElfReader,
  at: number,
  index: number,
): Omit<ElfSection, 'name'> & { readonly nameOffset: number } {
  const s = reader.layout.sectionHeader;
  return {
    index,
    nameOffset: reader.u32(at + s.name),
    type: reader.u32(at + s.type),
    address: reader.word(at + s.addr),
    offset: reader.wordNumber(at + s.offset),
    size: reader.wordNumber(at + s.size),
    link: reader.u32(at + s.link),
    addralign: reader.wordNumber(at + s.addralign),
    entsize: reader.wordNumber(at + s.entsize),
  };
}
