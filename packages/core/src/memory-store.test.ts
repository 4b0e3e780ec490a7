import { MemoryStore } from './memory-store';
import { NullStore } from './null-store';
import type { CommandRecord } from './record';

const command = (seq: number): CommandRecord => ({
  seq,
  tick: 1,
  actor: 'a',
  cause: 0,
  kind: 'command',
  type: 't.do',
  args: {},
});

describe('MemoryStore', () => {
  it('appends gapless batches and reads ranges back', () => {
    const store = new MemoryStore();
    store.append([command(1), command(2)]);
    store.append([command(3)]);
    expect(store.head()).toBe(3);
    expect([...store.read(2)].map((r) => r.seq)).toEqual([2, 3]);
    expect([...store.read(1, 2)].map((r) => r.seq)).toEqual([1, 2]);
    expect([...store.read(3, 10)].map((r) => r.seq)).toEqual([3]);
  });

  it('refuses a gap, a repeat and a digest past the head, naming the seqs', () => {
    const store = new MemoryStore();
    store.append([command(1)]);
    expect(() => store.append([command(3)])).toThrow(
      'Record seq 3 does not continue the log: expected seq 2',
    );
    expect(() => store.append([command(1)])).toThrow(
      'Record seq 1 does not continue the log: expected seq 2',
    );
    expect(() => store.appendDigest({ seq: 2, digest: 'x' })).toThrow(
      'State digest at seq 2 is past the last record (1)',
    );
    expect(store.head()).toBe(1);
  });

  it('refuses writes once closed', () => {
    const store = new MemoryStore();
    store.close();
    expect(() => store.append([command(1)])).toThrow('The store is closed');
  });
});

describe('NullStore', () => {
  it('keeps only the head, still refusing gaps, and says it cannot be read', () => {
    const store = new NullStore();
    store.append([command(1), command(2)]);
    expect(store.head()).toBe(2);
    expect(() => store.append([command(4)])).toThrow(
      'Record seq 4 does not continue the log: expected seq 3',
    );
    expect(() => store.read(1)).toThrow('A NullStore keeps no records: cannot read from seq 1');
  });
});
