import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// docs/writing-a-plugin.md quotes this package; each quote names its file and must still be in it.
const root = path.join(__dirname, '..', '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'writing-a-plugin.md'), 'utf8');
const quotes = [...doc.matchAll(/```ts file=(\S+)\n([\s\S]*?)```/g)].map(([, file, code]) => ({
  file: file!,
  code: code!,
}));

describe('docs/writing-a-plugin.md', () => {
  it('quotes the example plugin', () => {
    expect(quotes.length).toBeGreaterThanOrEqual(8);
  });

  // Compared line by line without leading spaces: a quote of nested code is shown dedented.
  const lines = (text: string) => text.replace(/^[ \t]+/gm, '');
  it.each(quotes.map((q, i) => [i + 1, q.file, q.code] as const))(
    'quote %i is still in %s',
    (_i, file, code) => {
      expect(lines(readFileSync(path.join(root, file), 'utf8'))).toContain(lines(code));
    },
  );
});
