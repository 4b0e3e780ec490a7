/**
 * A page table entry: the frame number times 2^16 plus 16 flag bits, in one JS number (frame
 * numbers stay below 2^37, so the entry stays below 2^53). 0 means "nothing mapped".
 */
export const Pte = {
  PRESENT: 1 << 0,
  READ: 1 << 1,
  WRITE: 1 << 2,
  EXECUTE: 1 << 3,
  USER: 1 << 4,
  ACCESSED: 1 << 5,
  DIRTY: 1 << 6,
  /** Hardware-read-only until the next write copies the frame; WRITE says whether that write is allowed. */
  COW: 1 << 7,
  /** The frame is mapped by more than one space on purpose (not copy on write). */
  SHARED: 1 << 8,
  /** In the image but not loaded yet: an access faults so that the page can be brought in. */
  LAZY: 1 << 9,
  /** Six bits for plugins' own use, never read by the MMU. */
  SOFTWARE: 0b111111 << 10,
} as const;

const FLAG_SPAN = 0x1_0000;

/** The permission bits a mapping's `perms` controls. */
export const PERMISSIONS = Pte.READ | Pte.WRITE | Pte.EXECUTE | Pte.USER;

/** An entry mapping `frame` with `flags`. */
export function makePte(frame: number, flags: number): number {
  return frame * FLAG_SPAN + flags;
}

/** The frame an entry maps. */
export function pteFrame(pte: number): number {
  return Math.floor(pte / FLAG_SPAN);
}

/** An entry's flag bits. */
export function pteFlags(pte: number): number {
  return pte % FLAG_SPAN;
}

/** The entry with its flags replaced. */
export function withFlags(pte: number, flags: number): number {
  return pte - pteFlags(pte) + flags;
}

/** `rwx` letters (a `-` or absence for each one missing) to flag bits, USER unless `kernel`. */
export function permsToFlags(perms: string, kernel = false): number {
  let flags = kernel ? 0 : Pte.USER;
  if (perms.includes('r')) flags |= Pte.READ;
  if (perms.includes('w')) flags |= Pte.WRITE;
  if (perms.includes('x')) flags |= Pte.EXECUTE;
  return flags;
}

const NAMES: readonly [number, string][] = [
  [Pte.PRESENT, 'P'],
  [Pte.READ, 'R'],
  [Pte.WRITE, 'W'],
  [Pte.EXECUTE, 'X'],
  [Pte.USER, 'U'],
  [Pte.ACCESSED, 'A'],
  [Pte.DIRTY, 'D'],
  [Pte.COW, 'C'],
  [Pte.SHARED, 'S'],
  [Pte.LAZY, 'L'],
];

/**
 * A mapping's flag letters (as {@link describeFlags} writes them) as the `rwx` permissions a map
 * would give: a copy-on-write page (`C`) is writable, its first write copying it.
 */
export function permsOfFlags(flags: string): string {
  const writable = flags.includes('W') || flags.includes('C');
  return `${flags.includes('R') ? 'r' : '-'}${writable ? 'w' : '-'}${flags.includes('X') ? 'x' : '-'}`;
}

/**
 * Flags as letters for people reading dumps and tests: `PRWUA` is present, readable, writable,
 * user, accessed; software bits follow as their numbers, `PRWU+02` having bits 0 and 2 set.
 */
export function describeFlags(flags: number): string {
  const letters = NAMES.map(([bit, name]) => (flags & bit ? name : '')).join('');
  const software = [0, 1, 2, 3, 4, 5].filter((i) => flags & (1 << (10 + i))).join('');
  return software ? `${letters}+${software}` : letters;
}
