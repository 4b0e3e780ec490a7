import { ElfError } from './elf-error';
import { readElfFile, stringAt, type ElfFile, type ElfSection } from './elf-file';
import type { GlobalDecl } from './global-decl';
import {
  ET_REL,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_OBJECT,
} from './layout';

/** The bindings whose objects are globals here: file-local `static`s count as well. */
const BINDINGS: ReadonlySet<number> = new Set([STB_LOCAL, STB_GLOBAL, STB_WEAK]);

/** What ELF says of a global's type: it has no C types without DWARF. */
const ELF_TYPE = 'object';

/**
 * The globals of an ELF file: its STT_OBJECT symbols of global, weak or local (`static`)
 * binding, defined in .data or .bss, of size above 0, sorted by name (then by section and
 * offset, for statics of one name from different translation units). 32- and 64-bit,
 * little-endian only; relocatable objects, executables and shared objects.
 *
 * Common symbols (SHN_COMMON, what `gcc -fcommon` makes of `int x;`) are in no section yet, and
 * so are not reported: build with `-fno-common`. `source` names the file in messages; the caller
 * reads the file. Throws an {@link ElfError} naming `source` and the part at fault.
 */
export function readElfGlobals(bytes: Uint8Array, source: string): GlobalDecl[] {
  const elf = readElfFile(bytes, source);
  const { reader, layout, sections } = elf;
  const table = symbolTable(elf);
  const strings = sections[table.link];
  if (!strings)
    throw new ElfError(
      `${source}'s symbol table (section ${table.name}) links to string table section ${table.link} (sh_link), out of range: it has ${sections.length} sections`,
    );
  const names = reader.contents(strings);

  const found: { decl: GlobalDecl; offset: number }[] = [];
  const contents = new Map<number, Uint8Array>();
  const entry = table.entsize || layout.symbol.bytes;
  const sym = layout.symbol;
  for (let index = 0; index < table.size / entry; index++) {
    const at = table.offset + index * entry;
    reader.need(`symbol ${index} of ${table.name}`, at, sym.bytes);
    const info = reader.u8(at + sym.info);
    const shndx = reader.u16(at + sym.shndx);
    if ((info & 0xf) !== STT_OBJECT || !BINDINGS.has(info >> 4)) continue;
    if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
    const section = sections[shndx];
    if (section?.name !== '.data' && section?.name !== '.bss') continue;
    const size = reader.wordNumber(at + sym.size);
    if (size === 0) continue;

    const nameOffset = reader.u32(at + sym.name);
    const name = stringAt(names, nameOffset);
    if (name === undefined)
      throw new ElfError(
        `${source}'s symbol ${index} has a name offset of ${nameOffset} (st_name, at byte ${at + sym.name}), out of its string table ${strings.name} (${names.length} bytes)`,
      );
    const value = reader.word(at + sym.value);
    const offset = offsetIn(section, value, elf.type);
    if (offset < 0 || offset + size > section.size)
      throw new ElfError(
        `${source}'s symbol ${index} (${name}) extends past its section ${section.name}: its ${size} bytes at st_value 0x${value.toString(16)} (at byte ${at + sym.value}) lie at offsets ${offset} to ${offset + size} of a section of ${section.size} bytes`,
      );

    let initial: Uint8Array | undefined;
    if (section.name === '.data') {
      let data = contents.get(section.index);
      if (!data) contents.set(section.index, (data = reader.contents(section)));
      // A NOBITS .data (never made by a compiler) has no bytes: its globals start as zeros.
      if (data.length > 0) initial = data.slice(offset, offset + size);
    }
    const decl: GlobalDecl = {
      name,
      type: ELF_TYPE,
      size,
      align: Math.max(1, section.addralign),
      ...(initial && { initial }),
      section: section.name,
    };
    found.push({ decl, offset });
  }
  return found.sort(byNameSectionOffset).map(({ decl }) => decl);
}

/** The file's symbol table, .symtab (found by its type, SHT_SYMTAB). */
function symbolTable({ source, sections, layout }: ElfFile): ElfSection {
  const table = sections.find((section) => section.type === SHT_SYMTAB);
  if (!table)
    throw new ElfError(
      `${source} has no symbol table (no SHT_SYMTAB section): it was stripped, so its globals cannot be read`,
    );
  const entry = table.entsize || layout.symbol.bytes;
  if (entry < layout.symbol.bytes)
    throw new ElfError(
      `${source}'s symbol table (section ${table.name}) has an entry size of ${entry} (sh_entsize): a ${layout.bits}-bit symbol needs ${layout.symbol.bytes}`,
    );
  if (table.size % entry !== 0)
    throw new ElfError(
      `${source}'s symbol table (section ${table.name}) is ${table.size} bytes, not a whole number of its ${entry}-byte symbols`,
    );
  return table;
}

/**
 * Where a symbol's value puts it within its section: in a relocatable object st_value is already
 * that offset; in an executable or shared object it is an address, the section's sh_addr plus
 * the offset. Worked in bigint, since 64-bit addresses may pass 2^53.
 */
function offsetIn(section: ElfSection, value: bigint, type: number): number {
  return Number(type === ET_REL ? value : value - section.address);
}

function byNameSectionOffset(
  a: { decl: GlobalDecl; offset: number },
  b: { decl: GlobalDecl; offset: number },
): number {
  return (
    compare(a.decl.name, b.decl.name) ||
    compare(a.decl.section, b.decl.section) ||
    a.offset - b.offset
  );
}

/** By UTF-16 code units, not locale: the same order on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
