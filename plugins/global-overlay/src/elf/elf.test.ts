import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ElfError, readElfGlobals, type GlobalDecl } from './index';
import { FIXTURES, sectionNamed, withSectionLast } from './test-support/elf-fixtures';

/** A fixture's bytes, by file name. */
const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(FIXTURES, name)));

/** The ElfError `run` throws (failing the test if it throws anything else, or nothing). */
function errorOf(run: () => unknown): ElfError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ElfError);
    return error as ElfError;
  }
  throw new Error('expected an ElfError, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => errorOf(run).message;

/** `value` as a `width`-byte little-endian integer. */
function le(value: number, width: number): Uint8Array {
  const eight = new Uint8Array(8);
  new DataView(eight.buffer).setBigUint64(0, BigInt(value), true);
  return eight.slice(0, width);
}

const float64 = (value: number): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return bytes;
};

/** `text` as ASCII, NUL-padded to `size` bytes: a char array's initializer. */
const chars = (text: string, size: number): Uint8Array => {
  const bytes = new Uint8Array(size);
  bytes.set(Buffer.from(text, 'latin1'));
  return bytes;
};

/** A copy of `bytes` with `patch` applied to a DataView over it. */
function patched(bytes: Uint8Array, patch: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  patch(new DataView(copy.buffer));
  return copy;
}

const names = (globals: readonly GlobalDecl[]): string[] => globals.map((g) => g.name);

/** A .data global as gcc lays them out here. */
const data = (name: string, size: number, align: number, initial: Uint8Array): GlobalDecl => ({
  name,
  type: 'object',
  size,
  align,
  initial,
  section: '.data',
});

const bss = (name: string, size: number, align: number): GlobalDecl => ({
  name,
  type: 'object',
  size,
  align,
  section: '.bss',
});

describe('readElfGlobals', () => {
  const v1 = fixture('counter-v1.o');

  describe('64-bit relocatable objects (gcc -c -O0 -fno-common)', () => {
    it('reads counter-v1.o: the .data and .bss globals, the static among them, by name', () => {
      const globals = readElfGlobals(v1, 'counter-v1.o');
      expect(globals).toEqual([
        data('counter', 4, 16, le(5, 4)),
        data('hidden', 4, 16, le(7, 4)),
        data('name', 16, 16, chars('server', 16)),
        data('ratio', 8, 16, float64(0.5)),
        bss('total', 8, 8),
      ]);
      const total = globals.find((g) => g.name === 'total')!;
      expect(total.initial).toBeUndefined();
      expect(new DataView(globals[3]!.initial!.buffer).getFloat64(0, true)).toBe(0.5);
      // The function hidden_address is a symbol too, but no object.
      expect(names(globals)).not.toContain('hidden_address');
    });

    it('reads counter-v2.o: errors and counter_wide added, name grown to 32 bytes', () => {
      expect(readElfGlobals(fixture('counter-v2.o'), 'counter-v2.o')).toEqual([
        data('counter', 4, 32, le(5, 4)),
        data('counter_wide', 8, 32, le(9, 8)),
        bss('errors', 4, 8),
        data('hidden', 4, 32, le(7, 4)),
        data('name', 32, 32, chars('server', 32)),
        data('ratio', 8, 32, float64(0.5)),
        bss('total', 8, 8),
      ]);
    });

    it('reads counter-v3.o: as v2 without total', () => {
      expect(readElfGlobals(fixture('counter-v3.o'), 'counter-v3.o')).toEqual([
        data('counter', 4, 32, le(5, 4)),
        data('counter_wide', 8, 32, le(9, 8)),
        bss('errors', 4, 4),
        data('hidden', 4, 32, le(7, 4)),
        data('name', 32, 32, chars('server', 32)),
        data('ratio', 8, 32, float64(0.5)),
      ]);
    });

    it('gives initial bytes as copies, not views of the file', () => {
      const bytes = v1.slice();
      const counter = readElfGlobals(bytes, 'counter-v1.o')[0]!;
      bytes.fill(0xee);
      expect(counter.initial).toEqual(le(5, 4));
    });

    it('reads a file held in a larger buffer at an offset', () => {
      const padded = new Uint8Array(v1.length + 13);
      padded.set(v1, 7);
      const view = padded.subarray(7, 7 + v1.length);
      expect(readElfGlobals(view, 'counter-v1.o')).toEqual(readElfGlobals(v1, 'counter-v1.o'));
    });
  });

  describe('a 64-bit executable (gcc -no-pie, counter-v1.c with main.c)', () => {
    const executable = readElfGlobals(fixture('counter-v1'), 'counter-v1');
    const object = readElfGlobals(v1, 'counter-v1.o');

    it('gives the object’s globals, found by address (st_value - sh_addr), same bytes', () => {
      const mine = new Set(names(object));
      expect(executable.filter((g) => mine.has(g.name))).toEqual(object);
    });

    it('adds only what the C runtime’s crtstuff brings: the static completed.0 in .bss', () => {
      const mine = new Set(names(object));
      expect(executable.filter((g) => !mine.has(g.name))).toEqual([bss('completed.0', 1, 8)]);
    });
  });

  describe('a 32-bit relocatable object (gcc -m32 -c)', () => {
    it('reads counter-v1.32.o: long is 4 bytes, the double 8, sections aligned as i386 has them', () => {
      expect(readElfGlobals(fixture('counter-v1.32.o'), 'counter-v1.32.o')).toEqual([
        data('counter', 4, 8, le(5, 4)),
        data('hidden', 4, 8, le(7, 4)),
        data('name', 16, 8, chars('server', 16)),
        data('ratio', 8, 8, float64(0.5)),
        bss('total', 4, 4),
      ]);
    });

    it('names its symbol at fault by its 16-byte entry', () => {
      const bytes = fixture('counter-v1.32.o');
      const view = new DataView(bytes.buffer);
      // Elf32_Ehdr: e_shoff at 32, e_shentsize 40; .symtab is section 11 (readelf -S).
      const symtab = view.getUint32(32, true) + 11 * 40;
      const symbolsAt = view.getUint32(symtab + 16, true);
      // Symbol 6 is counter (readelf -s): its st_name, at the entry's start.
      const broken = patched(bytes, (v) => v.setUint32(symbolsAt + 6 * 16, 0xfffff, true));
      expect(messageOf(() => readElfGlobals(broken, 'v1-32.o'))).toBe(
        `v1-32.o's symbol 6 has a name offset of 1048575 (st_name, at byte ${symbolsAt + 96}), out of its string table .strtab (${sectionLength32(bytes, 12)} bytes)`,
      );
    });
  });

  describe('refuses, naming the file and the part', () => {
    it('a file that is not ELF, showing its first 4 bytes', () => {
      const source = fixture('counter-v1.c');
      expect(messageOf(() => readElfGlobals(source, 'counter-v1.c'))).toBe(
        'counter-v1.c is not an ELF file: it starts with 0x2f2a2056, not the ELF magic 0x7f454c46',
      );
      expect(messageOf(() => readElfGlobals(new Uint8Array(0), 'empty'))).toBe(
        'empty is not an ELF file: it starts with nothing, not the ELF magic 0x7f454c46',
      );
    });

    it('a file cut inside its ELF header, even inside the magic', () => {
      expect(messageOf(() => readElfGlobals(v1.subarray(0, 20), 'cut.o'))).toBe(
        'cut.o is truncated in its ELF header (at byte 0): expected 64 bytes, found 20',
      );
      expect(messageOf(() => readElfGlobals(v1.subarray(0, 3), 'cut.o'))).toMatch(
        /^cut\.o is truncated in its ELF header \(at byte 0\)/,
      );
    });

    it('a file cut inside its section headers, naming the header', () => {
      const shoff = Number(new DataView(v1.buffer).getBigUint64(40, true));
      const cut = v1.subarray(0, shoff + 3 * 64 + 10);
      expect(messageOf(() => readElfGlobals(cut, 'cut.o'))).toBe(
        `cut.o is truncated in section header 3 (at byte ${shoff + 192}): expected 64 bytes, found 10`,
      );
    });

    it('a file cut inside .symtab, naming the symbol', () => {
      const moved = withSectionLast(v1, '.symtab');
      expect(readElfGlobals(moved, 'moved.o')).toEqual(readElfGlobals(v1, 'moved.o'));
      const symtab = sectionNamed(moved, '.symtab');
      const cut = moved.subarray(0, symtab.offset + 7 * 24 + 5);
      expect(messageOf(() => readElfGlobals(cut, 'cut.o'))).toBe(
        `cut.o is truncated in symbol 7 of .symtab (at byte ${symtab.offset + 168}): expected 24 bytes, found 5`,
      );
    });

    it('a file cut inside .data or .strtab, naming the section', () => {
      for (const name of ['.data', '.strtab']) {
        const moved = withSectionLast(v1, name);
        const section = sectionNamed(moved, name);
        const cut = moved.subarray(0, section.offset + 9);
        expect(messageOf(() => readElfGlobals(cut, 'cut.o'))).toBe(
          `cut.o is truncated in section ${name}'s contents (at byte ${section.offset}): expected ${section.size} bytes, found 9`,
        );
      }
    });

    it('a big-endian file, saying so', () => {
      const big = patched(v1, (v) => v.setUint8(5, 2));
      expect(messageOf(() => readElfGlobals(big, 'big.o'))).toBe(
        'big.o is a big-endian ELF file (e_ident[EI_DATA] is 2, at byte 5): only little-endian files are read',
      );
    });

    it('an unknown class or data encoding', () => {
      const class3 = patched(v1, (v) => v.setUint8(4, 3));
      expect(messageOf(() => readElfGlobals(class3, 'odd.o'))).toMatch(
        /^odd\.o has an unsupported ELF class 3 \(e_ident\[EI_CLASS\], at byte 4\)/,
      );
      const data0 = patched(v1, (v) => v.setUint8(5, 0));
      expect(messageOf(() => readElfGlobals(data0, 'odd.o'))).toMatch(
        /^odd\.o has an unsupported ELF data encoding 0 /,
      );
    });

    it('a symbol name offset out of the string table', () => {
      const symtab = sectionNamed(v1, '.symtab');
      const strtab = sectionNamed(v1, '.strtab');
      // Symbol 5 is counter (readelf -s counter-v1.o); st_name is its entry's first 4 bytes.
      const at = symtab.offset + 5 * 24;
      const broken = patched(v1, (v) => v.setUint32(at, 0x10000, true));
      expect(messageOf(() => readElfGlobals(broken, 'bad-name.o'))).toBe(
        `bad-name.o's symbol 5 has a name offset of 65536 (st_name, at byte ${at}), out of its string table .strtab (${strtab.size} bytes)`,
      );
    });

    it('a symbol extending past its section', () => {
      const symtab = sectionNamed(v1, '.symtab');
      const at = symtab.offset + 5 * 24 + 8; // counter's st_value; .data is 0x30 bytes
      const broken = patched(v1, (v) => v.setBigUint64(at, 0x2en, true));
      expect(messageOf(() => readElfGlobals(broken, 'past.o'))).toBe(
        `past.o's symbol 5 (counter) extends past its section .data: its 4 bytes at st_value 0x2e (at byte ${at}) lie at offsets 46 to 50 of a section of 48 bytes`,
      );
    });

    it('a section header string table index out of range', () => {
      const broken = patched(v1, (v) => v.setUint16(62, 99, true));
      expect(messageOf(() => readElfGlobals(broken, 'shstr.o'))).toBe(
        'shstr.o has a section header string table index of 99 (e_shstrndx, at byte 62), out of range: it has 12 sections',
      );
    });

    it('a file without a symbol table, or of a type with none to read', () => {
      const symtab = sectionNamed(v1, '.symtab');
      const stripped = patched(v1, (v) => v.setUint32(symtab.headerAt + 4, 1, true));
      expect(messageOf(() => readElfGlobals(stripped, 'stripped.o'))).toMatch(
        /^stripped\.o has no symbol table .*stripped/,
      );
      const core = patched(v1, (v) => v.setUint16(16, 4, true));
      expect(messageOf(() => readElfGlobals(core, 'core'))).toMatch(
        /^core has e_type 4 \(at byte 16\)/,
      );
    });
  });
});

/** sh_size of section `index` in a 32-bit little-endian file. */
function sectionLength32(bytes: Uint8Array, index: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(view.getUint32(32, true) + index * 40 + 20, true);
}
