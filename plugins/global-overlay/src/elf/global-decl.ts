/** A global variable as a program version declares it. */
export interface GlobalDecl {
  readonly name: string;
  /**
   * The type as declared. From ELF it is always `object`: ELF has no C types without DWARF, and
   * the size stands for it.
   */
  readonly type: string;
  /** Its size in bytes (the symbol's st_size). */
  readonly size: number;
  /** The alignment of the section holding it (its sh_addralign, at least 1). */
  readonly align: number;
  /**
   * Its initial bytes: for `.data` the section's contents at the symbol's offset (a copy); for
   * `.bss` left undefined, which means zeros.
   */
  readonly initial?: Uint8Array;
  readonly section: '.data' | '.bss';
}
