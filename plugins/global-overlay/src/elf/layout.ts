/*
 * Where the fields this reader needs lie in an ELF file, per the System V ABI's "Object Files"
 * chapter (gABI 4.1+): the ELF header, section headers and symbols, in their 32- and 64-bit forms.
 * Offsets are in bytes from the start of the structure.
 */

/** The 4 bytes every ELF file starts with: 0x7f 'E' 'L' 'F'. */
export const ELF_MAGIC = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);

/** e_ident[EI_CLASS]: 1 = 32-bit, 2 = 64-bit. */
export const EI_CLASS = 4;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
/** e_ident[EI_DATA]: 1 = little-endian (two's complement), 2 = big-endian. */
export const EI_DATA = 5;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

/** e_type values whose symbols this reader understands. */
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

/** The section header table's index 0 holds e_shnum / e_shstrndx when they do not fit. */
export const SHN_UNDEF = 0;
/** st_shndx values from here up name no section (SHN_ABS, SHN_COMMON, SHN_XINDEX, …). */
export const SHN_LORESERVE = 0xff00;
/** e_shstrndx's value when the real index is in section header 0's sh_link. */
export const SHN_XINDEX = 0xffff;

/** sh_type values. */
export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;

/** Symbol types (st_info & 0xf) and bindings (st_info >> 4). */
export const STT_OBJECT = 1;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

/** The offsets and sizes that differ between the 32- and the 64-bit form. */
export interface ClassLayout {
  readonly bits: 32 | 64;
  /** The width of an address, offset or size field (Elf32_Addr / Elf64_Addr, …). */
  readonly word: 4 | 8;
  readonly header: {
    readonly bytes: number;
    readonly type: number;
    readonly shoff: number;
    readonly shentsize: number;
    readonly shnum: number;
    readonly shstrndx: number;
  };
  readonly sectionHeader: {
    readonly bytes: number;
    readonly name: number;
    readonly type: number;
    readonly addr: number;
    readonly offset: number;
    readonly size: number;
    readonly link: number;
    readonly addralign: number;
    readonly entsize: number;
  };
  readonly symbol: {
    readonly bytes: number;
    readonly name: number;
    readonly value: number;
    readonly size: number;
    readonly info: number;
    readonly shndx: number;
  };
}

/** Elf32_Ehdr, Elf32_Shdr, Elf32_Sym. */
export const LAYOUT_32: ClassLayout = {
  bits: 32,
  word: 4,
  header: { bytes: 52, type: 16, shoff: 32, shentsize: 46, shnum: 48, shstrndx: 50 },
  sectionHeader: {
    bytes: 40,
    name: 0,
    type: 4,
    addr: 12,
    offset: 16,
    size: 20,
    link: 24,
    addralign: 32,
    entsize: 36,
  },
  symbol: { bytes: 16, name: 0, value: 4, size: 8, info: 12, shndx: 14 },
};

/** Elf64_Ehdr, Elf64_Shdr, Elf64_Sym. */
export const LAYOUT_64: ClassLayout = {
  bits: 64,
  word: 8,
  header: { bytes: 64, type: 16, shoff: 40, shentsize: 58, shnum: 60, shstrndx: 62 },
  sectionHeader: {
    bytes: 64,
    name: 0,
    type: 4,
    addr: 16,
    offset: 24,
    size: 32,
    link: 40,
    addralign: 48,
    entsize: 56,
  },
  symbol: { bytes: 24, name: 0, value: 8, size: 16, info: 4, shndx: 6 },
};

/** Bytes as `0x…` hex, or `nothing` for none: how messages show a file's first bytes. */
export function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'nothing'
    : `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
