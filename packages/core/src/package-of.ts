import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** What a plugin's manifest takes from its package.json. */
export interface PackageFacts {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
}

/**
 * The package.json nearest above `dir` (pass `__dirname`): so a plugin's manifest repeats nothing
 * its package already says, whether it runs from `src/` or from the compiled `lib/`.
 */
export function packageOf(dir: string): PackageFacts {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const file = path.join(at, 'package.json');
    if (existsSync(file)) {
      const { name, version, description } = JSON.parse(readFileSync(file, 'utf8')) as Record<
        string,
        unknown
      >;
      return {
        name: String(name),
        version: String(version),
        ...(typeof description === 'string' ? { description } : {}),
      };
    }
    if (path.dirname(at) === at) throw new Error(`No package.json above ${dir}`);
  }
}
