import { progressEvery } from './progress';

describe('progressEvery', () => {
  it('reports each multiple passed, once, even when the count jumps, and the end', () => {
    const seen: number[] = [];
    const tick = progressEvery((done) => seen.push(done), 25, 10);
    for (const done of [1, 3, 9, 11, 11, 12, 25, 25]) tick(done);
    expect(seen).toEqual([11, 25]);
  });
});
