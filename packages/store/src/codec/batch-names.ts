import { ByteReader, DecodeError } from './byte-reader';
import type { ByteWriter } from './byte-writer';

/*
 * A batch names each actor, record type and object key once, at its start, and its records refer
 * to them by number: names are most of a record's bytes otherwise (types, actors and keys were 39
 * of a mixed MMU workload's 67 bytes a record), and every byte is hashed, deflated and inflated.
 *
 *   names = count:varint string*        numbered from 0 in order of first use in the batch
 */

/** The names of a batch being written: numbered in order of first use. */
export class NameTable {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];

  /** The number of `name`, numbering it if it is new. */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(name, id);
      this.list.push(name);
    }
    return id;
  }

  get size(): number {
    return this.list.length;
  }

  /** Forgets the names numbered from `size` on (named by something then not written). */
  truncate(size: number): void {
    if (this.list.length <= size) return;
    while (this.list.length > size) this.ids.delete(this.list.pop()!);
  }

  /** Writes the names section. */
  write(out: ByteWriter): void {
    out.varint(this.list.length);
    for (const name of this.list) out.string(name);
  }

  /** Starts a new batch's numbering. */
  reset(): void {
    this.ids.clear();
    this.list.length = 0;
  }
}

/** The names of a stored batch, as its records refer to them. */
export class BatchNames {
  constructor(readonly list: readonly string[]) {}

  /** Name `id`, failing where the batch has none of that number. */
  name(id: number, at: number): string {
    const name = this.list[id];
    if (name === undefined)
      throw new DecodeError(at, `Name ${id} is not one of the batch's ${this.list.length}`);
    return name;
  }
}

/** Reads a batch's names section; the reader ends after it. */
export function readNames(input: ByteReader): BatchNames {
  const count = input.varint();
  if (count > input.end - input.offset)
    throw new DecodeError(input.offset, `${count} names cannot fit the data left`);
  const list = new Array<string>(count);
  for (let i = 0; i < count; i++) list[i] = input.string();
  return new BatchNames(list);
}

/** Moves past a batch's names section, checking its structure; returns how many it holds. */
export function skipNames(input: ByteReader): number {
  const count = input.varint();
  for (let i = 0; i < count; i++) input.skip(input.varint());
  return count;
}
