import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { runCounterDemo } from './demo';

describe('the counter demo', () => {
  it('prints every record, the counters and a digest that never changes', () => {
    const lines: string[] = [];
    runCounterDemo((line) => lines.push(line));
    const output = lines.join('\n');
    expect(output).toContain(
      '9  t4  plugin:counter event   counter.value.reset {"name":"requests","from":20}  (cause 8)',
    );
    expect(output).toContain('REFUSED: Counter "never-created" does not exist');
    expect(output).toContain('10 records in 5 ticks');
    expect(output).toContain('counters: {"dice":9}');
    expect(output).toContain(
      'state digest: 85d9a21d779b4c5ea8ffc13eb8d018cacd6e91293473fc3ca392644b8f836f56',
    );
  });

  it('runs as a program through ts-node, as a user would run it', () => {
    const result = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'demo.ts')],
      {
        encoding: 'utf8',
        env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json') },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'state digest: 85d9a21d779b4c5ea8ffc13eb8d018cacd6e91293473fc3ca392644b8f836f56',
    );
  });
});
