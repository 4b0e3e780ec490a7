import { NameTable, readNames, skipNames, type BatchNames } from './batch-names';
import { ByteReader } from './byte-reader';
import type { ByteWriter } from './byte-writer';
import { readShapes, ShapeTable, skipShapes, type BatchShape } from './payload-shapes';

/*
 * What a batch's records are written against, at its start: the tick its records count theirs
 * from, the names they use and the shapes of their payloads. A record writes its seq as its
 * place after the batch's first seq (which the batch's leaf header and row hold), its tick as a
 * difference from the batch's, and names and shapes as numbers.
 *
 *   header = tick:varint names shapes       tick = the first record's tick
 */

/** Each numbering a process makes gets a new generation, so caches keyed by it never mix them. */
let generations = 0;

/** What a batch being written has numbered so far, and the seq and tick its records count from. */
export class BatchTable {
  readonly names = new NameTable();
  readonly shapes = new ShapeTable();
  /** The seq and tick of the batch's first record. */
  first = 0;
  tick = 0;
  /** Records written against the table. */
  records = 0;
  /** Changes whenever the numbering starts again: shape numbers cached for the old one are stale. */
  generation = ++generations;

  private lastActor?: string;
  private lastActorId = 0;

  /** The number of `actor`'s name: records come from few actors, mostly the last one's. */
  actorId(actor: string): number {
    if (actor !== this.lastActor) {
      this.lastActorId = this.names.id(actor);
      this.lastActor = actor;
    }
    return this.lastActorId;
  }

  /** Forgets the names and shapes numbered from these counts on (by a record then not written). */
  truncate(names: number, shapes: number): void {
    if (this.names.size === names && this.shapes.size === shapes) return;
    this.names.truncate(names);
    this.shapes.truncate(shapes);
    this.lastActor = undefined;
    this.generation = ++generations;
  }

  /** Writes the header. */
  write(out: ByteWriter): void {
    out.varint(this.tick);
    this.names.write(out);
    this.shapes.write(out);
  }

  /** Starts a new batch. */
  reset(): void {
    this.names.reset();
    this.shapes.reset();
    this.first = 0;
    this.tick = 0;
    this.records = 0;
    this.lastActor = undefined;
    this.generation = ++generations;
  }

  /**
   * A table continuing a stored batch (its first seq `first`): records encoded against it use
   * the batch's numbers, and anything they add comes after them.
   */
  static continuing(header: BatchHeader): BatchTable {
    const table = new BatchTable();
    for (const name of header.names.list) table.names.id(name);
    for (const shape of header.shapes)
      table.shapes.id(
        JSON.stringify([shape.type, shape.keys, shape.kinds]),
        { type: shape.type, sortedKeys: shape.keys, sortedKinds: shape.kinds },
        table.names,
      );
    table.first = header.first;
    table.tick = header.tick;
    table.records = 1;
    return table;
  }
}

/** A stored batch's header, as its records are read against it. */
export interface BatchHeader {
  /** The batch's first seq (from its leaf header or row: the bytes do not hold it). */
  readonly first: number;
  readonly tick: number;
  readonly names: BatchNames;
  readonly shapes: readonly BatchShape[];
}

/** Reads a batch's header (the batch's first seq is `first`); the reader ends after it. */
export function readBatchHeader(input: ByteReader, first: number): BatchHeader {
  const tick = input.varint();
  // Batches of a run mostly repeat their names and shapes: read once, kept by their bytes.
  const start = input.offset;
  skipNames(input);
  skipShapes(input);
  const bytes = input.bytes;
  const key = Buffer.from(bytes.buffer, bytes.byteOffset + start, input.offset - start).toString(
    'latin1',
  );
  let known = headers.get(key);
  if (known === undefined) {
    const reader = new ByteReader(bytes, start, input.offset);
    const names = readNames(reader);
    known = { names, shapes: readShapes(reader, names) };
    if (headers.size === MAX_HEADERS) headers.clear();
    headers.set(key, known);
  }
  return { first, tick, names: known.names, shapes: known.shapes };
}
const headers = new Map<string, { names: BatchNames; shapes: readonly BatchShape[] }>();
const MAX_HEADERS = 256;

/** The header of `batch`, whose first seq is `first`. */
export function batchHeaderOf(batch: Uint8Array, first: number): BatchHeader {
  return readBatchHeader(new ByteReader(batch), first);
}

/** Moves past a batch's header, checking its structure. */
export function skipBatchHeader(input: ByteReader): void {
  input.varint();
  skipNames(input);
  skipShapes(input);
}
