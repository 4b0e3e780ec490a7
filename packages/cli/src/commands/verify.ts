import {
  checkRecordProof,
  formatHead,
  parseHead,
  recordProofFromJson,
  verifyRun,
  type HeadCommitment,
} from '@chronovisor/store';
import { isPostgresUrl, parseRunAddress, verifyPostgresRun } from '@chronovisor/store-postgres';
import { existsSync, readFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { readKey } from '../keys';
import { output, verdict, type Output } from '../output';
import { progressBar } from '../progress-bar';

/** The options of `chronovisor verify`. */
export interface VerifyOptions {
  readonly json?: boolean;
  /** No progress display. */
  readonly quiet?: boolean;
  readonly key?: string;
  /** A head kept from earlier, `<records>:<root>`: the run must still extend it. */
  readonly head?: string;
  /** A proof file (`chronovisor prove`) to check instead of a run. */
  readonly proof?: string;
}

/**
 * `chronovisor verify <run.db>`: recomputes the audit chain; exit 1 names the first tampered
 * record or head, or says the run no longer extends the `--head` kept from it.
 * `chronovisor verify --proof proof.json --head <records:root>`: checks a record proof alone.
 */
export function verify(
  file: string | undefined,
  options: VerifyOptions,
  out: Output = output,
): number {
  const head = options.head === undefined ? undefined : headOf(options.head);
  if (options.proof !== undefined) {
    if (file !== undefined)
      throw new CliError('verify takes a run file or --proof <proof.json>, not both');
    return verifyProof(options.proof, head, options.json, out);
  }
  if (file === undefined) throw new CliError('verify needs a run file, or --proof <proof.json>');
  const bar = progressBar('verifying', options);
  const checks = {
    ...(options.key ? { trustedKey: readKey(options.key, 'public') } : {}),
    ...(head ? { head } : {}),
    onProgress: (done: number, total: number) => bar.update(done, total),
  };
  let report;
  if (isPostgresUrl(file)) {
    const { url, run } = parseRunAddress(file);
    report = verifyPostgresRun(url, run, checks);
  } else report = verifyRun(file, checks);
  bar.finish();
  return verdict(out, options.json, report);
}

function verifyProof(
  file: string,
  head: HeadCommitment | undefined,
  json: boolean | undefined,
  out: Output,
): number {
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const proof = recordProofFromJson(document, file);
  const check = checkRecordProof(proof, head);
  const message =
    check.ok && !head
      ? `${check.message}; that head is the proof's own: give --head <records:root> to check it against one you trust`
      : check.message;
  if (json)
    out.json({
      ok: check.ok,
      seq: proof.seq,
      head: formatHead(head ?? proof.head),
      trusted: head !== undefined,
      message,
      ...(check.ok ? { record: check.record } : {}),
    });
  else if (check.ok) out.success(message);
  else out.failure(message);
  return check.ok ? EXIT.ok : EXIT.failed;
}

function headOf(text: string): HeadCommitment {
  try {
    return parseHead(text);
  } catch (error) {
    throw new CliError(`--head: ${(error as Error).message}`);
  }
}
