/** How numbers and addresses read on the page: addresses in hex, as the debugger writes them. */

export const hex = (n: number): string => `0x${n.toString(16)}`;

export const hexByte = (byte: number): string => byte.toString(16).padStart(2, '0');

export const address = (space: number, va: number): string => `${space}:${hex(va)}`;

/** A virtual address typed in a hex field: `0x1000` or `1000` (hex either way). */
export function parseHexAddress(text: string): number | undefined {
  const digits = text.trim().replace(/^0x/i, '').replace(/_/g, '');
  if (!/^[0-9a-f]+$/i.test(digits)) return undefined;
  const value = parseInt(digits, 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** `<space>:<va>` (va in hex with 0x, or decimal), as panels and the debugger write addresses. */
export function parseSpaceAddress(text: string): { space: number; va: number } | undefined {
  const match = /^\s*(\d+):(0x[0-9a-f_]+|\d+)\s*$/i.exec(text);
  if (!match) return undefined;
  const va = match[2]!.toLowerCase().startsWith('0x')
    ? parseHexAddress(match[2]!)
    : Number(match[2]);
  return va === undefined || !Number.isSafeInteger(va)
    ? undefined
    : { space: Number(match[1]), va };
}

/** A count with thousands separators, for people. */
export const count = (n: number): string => n.toLocaleString('en-US');
