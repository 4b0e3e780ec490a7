import { formatHead, recordProofToJson } from '@chronovisor/store';
import { writeFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { openRunFile } from '../run-plugins';
import { output, type Output } from '../output';
import { OutputFile } from '../output-file';

/** The options of `chronovisor prove`. */
export interface ProveOptions {
  readonly seq: number;
  /** The head to prove against (its record count); the last one by default. */
  readonly size?: number;
  readonly out?: string;
  readonly json?: boolean;
  readonly verify?: boolean;
  readonly force?: boolean;
}

/**
 * `chronovisor prove <run.db> --seq N [--out proof.json]`: a proof that record N is in the run as
 * a head committed it, which `chronovisor verify --proof` checks with no run file at hand.
 */
export function prove(file: string, options: ProveOptions, out: Output = output): number {
  const { seq } = options;
  const target =
    options.out === undefined
      ? undefined
      : new OutputFile(options.out, { force: options.force ?? false, inputs: [file] });
  const store = openRunFile(file, { verify: options.verify ?? true });
  let proof;
  try {
    const size = options.size ?? store.committed();
    if (seq > size)
      throw new CliError(
        `Record ${seq} is past the head of ${size} records; the run holds ${store.head()}`,
      );
    proof = store.recordProof(seq, size);
  } finally {
    store.close();
  }
  const document = `${JSON.stringify(recordProofToJson(proof), null, 2)}\n`;
  if (target === undefined) {
    out.line(document.trimEnd());
    return EXIT.ok;
  }
  writeFileSync(target.partial, document, { flag: 'wx' });
  target.commit();
  const message = `Proof of record ${seq} against the head ${formatHead(proof.head)} written to ${options.out}`;
  if (options.json) out.json({ file: options.out, seq, head: formatHead(proof.head) });
  else out.success(message);
  return EXIT.ok;
}
