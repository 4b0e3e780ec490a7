import { describeIssues, fieldPath } from './validation';

describe('describeIssues', () => {
  it('writes paths as code does, quoting keys that are not names', () => {
    expect(fieldPath(['memory', 2, 'pages'])).toBe('memory[2].pages');
    expect(fieldPath(['extensions', 'vm tools'])).toBe('extensions["vm tools"]');
  });

  it('names the first three problems with their paths, under `below`, then counts the rest', () => {
    const problems = ['a', 'b', 'c', 'd', 'e'].map((key, i) => ({
      path: [key],
      message: `bad ${i}`,
    }));
    expect(describeIssues(problems.slice(0, 4), { below: ['manifest'] })).toBe(
      'manifest.a: bad 0; manifest.b: bad 1; manifest.c: bad 2 (and 1 more problem)',
    );
    expect(describeIssues(problems, { message: (p) => p.message.toUpperCase() })).toBe(
      'a: BAD 0; b: BAD 1; c: BAD 2 (and 2 more problems)',
    );
    expect(describeIssues([{ path: [], message: 'not an object' }])).toBe('not an object');
  });
});
