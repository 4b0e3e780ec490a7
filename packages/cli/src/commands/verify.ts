import { verifyRun } from '@chronovisor/store';
import { readKey } from '../keys';
import { output, verdict, type Output } from '../output';

/** `chronovisor verify <run.db>`: recomputes the audit chain; exit 1 names the first tampered record or head. */
export function verify(
  file: string,
  options: { json?: boolean; key?: string },
  out: Output = output,
): number {
  const report = verifyRun(file, options.key ? { trustedKey: readKey(options.key, 'public') } : {});
  return verdict(out, options.json, report);
}
