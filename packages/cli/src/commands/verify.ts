import { verifyRun } from '@chronovisor/store';
import { EXIT } from '../cli-error';
import { readKey } from '../keys';
import { output, type Output } from '../output';

/** `chronovisor verify <run.db>`: recomputes the audit chain; exit 1 names the first tampered record or head. */
export function verify(
  file: string,
  options: { json?: boolean; key?: string },
  out: Output = output,
): number {
  const report = verifyRun(file, options.key ? { trustedKey: readKey(options.key, 'public') } : {});
  if (options.json) out.json(report);
  else if (report.ok) out.success(report.message);
  else out.failure(report.message);
  return report.ok ? EXIT.ok : EXIT.failed;
}
