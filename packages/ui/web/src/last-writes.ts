import type { LastWrite } from '../../src/api';
import { api } from './api-client';

type Write = NonNullable<LastWrite['write']>;

/** Each byte's last write at a position (/api/last-write), asked once per byte and position. */
export class LastWrites {
  private seq = -1;
  private readonly known = new Map<string, Promise<Write | null>>();

  at(seq: number, space: number, va: number, signal?: AbortSignal): Promise<Write | null> {
    if (seq !== this.seq) {
      this.seq = seq;
      this.known.clear();
    }
    const key = `${space}:${va}`;
    const kept = this.known.get(key);
    if (kept) return kept;
    const write = api.lastWrite(seq, space, va, signal).then((answer) => answer.write ?? null);
    this.known.set(key, write);
    write.catch(() => this.known.delete(key));
    return write;
  }
}

export function describeWrite(write: Write | null): string {
  return write ? `written at seq ${write.seq} by ${write.actor} (${write.type})` : 'never written';
}
