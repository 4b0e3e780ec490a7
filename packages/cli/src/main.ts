import { ChronovisorError } from '@chronovisor/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { colours as pc } from './output';
import { EXIT } from './cli-error';
import { debug } from './commands/debug';
import { index } from './commands/index-run';
import { inspect } from './commands/inspect';
import { plugins } from './commands/plugins';
import { reexec } from './commands/reexec';
import { replay } from './commands/replay';
import { run } from './commands/run';
import { stats } from './commands/stats';
import { parseInjection, trace } from './commands/trace';
import { exportRun, importRun } from './commands/transfer';
import { prove } from './commands/prove';
import { sql } from './commands/sql';
import { sweep, sweepReport, sweepResume, worker } from './commands/sweep';
import { ui } from './commands/ui';
import { verify } from './commands/verify';

/** The help of `--no-verify`, which every command reading a run takes. */
const NO_VERIFY = 'read the run even where a batch no longer matches its hash (an altered run)';

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`);
  return n;
};

/** A TCP port, or 0 for any free one. */
const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 1 to 65535 (or 0 for any free one)');
  return n;
};

const UNITS: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/** A size in bytes: `1073741824`, `512MiB`, `64k`, `2G` (K, M and G counted in powers of 1,024). */
const byteSize = (value: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?|b)?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a size such as 512MiB, 2GiB or 65536');
  return Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!);
};

/** `--memory`, which every command that travels in a run takes: `debug` and `ui`. */
const memoryOption = () =>
  new Option(
    '--memory <size>',
    'the most memory the snapshots may hold, the current state aside (default 1GiB)',
  ).argParser(byteSize);

function program(exit: (code: number) => void): Command {
  const cli = new Command('chronovisor')
    .description('An event-sourced simulator of virtual memory and virtualization mechanisms.')
    .version('1.0.0')
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)');

  cli
    .command('run')
    .description('Run a scenario on a plugin set and record it into a run file.')
    .argument(
      '<scenario>',
      'a .ts/.js module, a .json/.ndjson file of commands, or a folder such as examples/quickstart',
    )
    .option('-c, --config <file>', 'plugin set, seed and store (chronovisor.config.json)')
    .option('-s, --seed <n>', 'the RNG seed (overrides the config)', integer)
    .option('-o, --out <file>', 'the run file (default .chronovisor/runs/<scenario>-seed<n>.db)')
    .option(
      '--store <url>',
      'record into a PostgreSQL server instead (postgres://user@host:port/database; the password from PGPASSWORD)',
    )
    .option('-f, --force', 'replace the run file if it exists')
    .option('--sign <key.pem>', 'sign every tree head with this Ed25519 private key')
    .option('--strict', 'exit 1 if any command was refused (the run is recorded whole anyway)')
    .option(
      '--index [every]',
      'then keep snapshots in the file for debug, as chronovisor index does (every N records)',
      integer,
    )
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor run examples/quickstart --seed 7 --out quickstart.db --index',
    )
    .action(async (scenario: string, options: Parameters<typeof run>[1]) =>
      exit(await run(scenario, options)),
    );

  cli
    .command('replay')
    .description("Rebuild a run's state from its events, checking every recorded digest.")
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('-q, --quiet', 'no progress display')
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor replay .chronovisor/runs/quickstart-seed1.db')
    .action((file: string, options: { json?: boolean; quiet?: boolean }) =>
      exit(replay(file, options)),
    );

  cli
    .command('verify')
    .description(
      "Check a run's audit chain: names the first record or tree head that was tampered with. With --proof, check a record proof alone.",
    )
    .argument('[run]', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option(
      '--key <public.pem>',
      "the signer's Ed25519 public key, to check the signatures against",
    )
    .option(
      '--head <records:root>',
      'a tree head kept from the run (as `run` prints it): the run, or the proof, must hold to it',
    )
    .option(
      '--proof <proof.json>',
      'a record proof (`chronovisor prove`) to check, with no run file',
    )
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  chronovisor verify .chronovisor/runs/quickstart-seed1.db --key signer.pub.pem\n  chronovisor verify run.db --head 40099:9f2c…\n  chronovisor verify --proof proof.json --head 40099:9f2c…',
    )
    .action((file: string | undefined, options: Parameters<typeof verify>[1]) =>
      exit(verify(file, options)),
    );

  cli
    .command('prove')
    .description(
      'Write a proof that one record is in a run, as a tree head committed it: checkable with no run file.',
    )
    .argument('<run>', 'a run file')
    .requiredOption('--seq <n>', 'the record to prove', integer)
    .option(
      '--size <records>',
      'the head to prove against, by its record count (default: the last)',
      integer,
    )
    .option('-o, --out <proof.json>', 'where to write it (default: standard output)')
    .option('--no-verify', NO_VERIFY)
    .option('-f, --force', 'replace the output file if it exists (once the new one is complete)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor prove run.db --seq 1234 --out proof.json\n  chronovisor verify --proof proof.json --head <records:root>',
    )
    .action((file: string, options: Parameters<typeof prove>[1]) => exit(prove(file, options)));

  cli
    .command('reexec')
    .description(
      "Re-execute a run's commands, on another plugin set or on its own (the determinism check); exit 1 at the first divergence, saying why.",
    )
    .argument('<run>', 'a run file')
    .option(
      '-c, --config <file>',
      "the other plugin set (chronovisor.config.json); default: the run's own",
    )
    .option('-q, --quiet', 'no progress display')
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  chronovisor reexec my-run.db\n  chronovisor reexec my-run.db --config other-plugins.json',
    )
    .action((file: string, options: { config?: string; json?: boolean }) =>
      exit(reexec(file, options)),
    );

  cli
    .command('trace')
    .description(
      'Run an allocation trace through the heap plugin and report utilization and violations.',
    )
    .argument('<file>', 'a trace: wee_alloc lines (Alloc(n), / Free(i),) or a CS:APP .rep file')
    .addOption(
      new Option('-p, --policy <policy>', 'the allocation policy (default best-fit)').choices([
        'first-fit',
        'best-fit',
        'segregated',
        'buddy',
      ]),
    )
    .option('-k, --tag-bits <k>', 'tag bits in each pointer (default 8)', integer)
    .option(
      '--inject <faults>',
      'inject faults: uaf=N,double-free=M,invalid-free=K,seed=S',
      parseInjection,
    )
    .option(
      '-o, --out <file>',
      'the run file (default .chronovisor/runs/<trace>-<policy>-seed<n>.db)',
    )
    .option('-f, --force', 'replace the run file if it exists')
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor trace plugins/heap/fixtures/alloc-traces/find.trace --policy buddy --inject uaf=100,seed=1',
    )
    .action((file: string, options: Parameters<typeof trace>[1]) => exit(trace(file, options)));

  cli
    .command('debug')
    .description(
      'Travel in time through a run: seek, step, run backwards to watchpoints, trace bytes.',
    )
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('-e, --eval <commands>', 'run these debugger commands, separated by ";", and exit')
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'with --eval: the answers as JSON')
    .addOption(memoryOption())
    .addHelpText(
      'after',
      '\nExamples:\n  chronovisor debug my-run.db\n  chronovisor debug my-run.db --memory 256MiB\n  chronovisor debug my-run.db --eval "watch 1:0x1000 8; goto end; rcontinue; where" --json',
    )
    .action(async (file: string, options: { eval?: string; json?: boolean; memory?: number }) =>
      exit(await debug(file, options)),
    );

  cli
    .command('ui')
    .description(
      'The time-travel web page: a timeline to scrub, the memory map, a hex view, plugin panels.',
    )
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('-p, --port <n>', 'the port on 127.0.0.1 (default: any free one)', port)
    .option('--no-verify', NO_VERIFY)
    .addOption(memoryOption())
    .addHelpText(
      'after',
      '\nIt serves 127.0.0.1 only, read-only, and prints an address with a random token: open that.\nExamples:\n  chronovisor ui my-run.db\n  chronovisor ui my-run.db --port 8080',
    )
    .action(async (file: string, options: { port?: number; verify?: boolean; memory?: number }) =>
      exit(await ui(file, options)),
    );

  cli
    .command('index')
    .description(
      "Keep snapshots of a run's state in its file, so debugging it seeks from the nearest one.",
    )
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('--every <records>', 'records between snapshots (default: the run cut in 128)', integer)
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor index my-run.db && chronovisor debug my-run.db',
    )
    .action((file: string, options: Parameters<typeof index>[1]) => exit(index(file, options)));

  cli
    .command('export')
    .description('Write a run as NDJSON (one record a line), for interchange.')
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('--ndjson <file>', 'the NDJSON file to write')
    .option('--no-verify', NO_VERIFY)
    .option('-f, --force', 'replace the output file if it exists (once the new one is complete)')
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor export my-run.db --ndjson my-run.ndjson')
    .action((file: string, options: Parameters<typeof exportRun>[1]) =>
      exit(exportRun(file, options)),
    );

  cli
    .command('import')
    .description('Read an NDJSON run into a new run file, or a new run on a PostgreSQL server.')
    .argument('<ndjson>', 'an NDJSON run')
    .option('-o, --out <file>', 'the run file to create')
    .option(
      '--store <url>',
      'make the run on a PostgreSQL server instead (postgres://user@host:port/database; the password from PGPASSWORD)',
    )
    .option('-f, --force', 'replace the output file if it exists (once the new one is complete)')
    .option('-q, --quiet', 'no progress display')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor import my-run.ndjson --out copy.db')
    .action((file: string, options: Parameters<typeof importRun>[1]) =>
      exit(importRun(file, options)),
    );

  cli
    .command('sql')
    .description(
      'Query a run file with SQL, read-only: its tables and views, and records_json, the records with their payloads as JSON.',
    )
    .argument('<run>', 'a run file')
    .argument('<query>', 'one SELECT (the sqlite3 shell sees the same, but no payloads)')
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'the rows as JSON objects')
    .addHelpText(
      'after',
      `\nExamples:\n  chronovisor sql my-run.db "SELECT type, count(*) FROM records GROUP BY type"\n  chronovisor sql my-run.db "SELECT seq, type, payload FROM records_json WHERE seq BETWEEN 100 AND 110"`,
    )
    .action((file: string, query: string, options: Parameters<typeof sql>[2]) =>
      exit(sql(file, query, options)),
    );

  cli
    .command('stats')
    .description("A run's records by type, actor, plugin, and over time.")
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor stats my-run.db --json')
    .action((file: string, options: { json?: boolean }) => exit(stats(file, options)));

  cli
    .command('inspect')
    .description('The state right after a record, rebuilt by replay.')
    .argument('<run>', 'a run file, or a run kept in PostgreSQL (postgres://…#<run id>)')
    .option('--at <seq>', 'the record (default: the last)', integer)
    .option('--no-verify', NO_VERIFY)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor inspect my-run.db --at 1200')
    .action((file: string, options: { at?: number; json?: boolean }) =>
      exit(inspect(file, options)),
    );

  const sweeps = cli
    .command('sweep')
    // `sweep report … --json` is the report's option, not the sweep's (commander asks the
    // program to be positional too).
    .enablePositionalOptions()
    .description(
      'Run a grid of runs (plugin options × scenarios × seeds): here with --workers, or queued on a PostgreSQL server for workers anywhere (--store). Ends with the cells side by side.',
    )
    .argument(
      '<grid.json>',
      'the grid: a scenario, a plugin set, and axes whose values are crossed',
    )
    .option(
      '--store <url>',
      'queue the cells on a PostgreSQL server (postgres://user@host:port/database; the password from PGPASSWORD); their runs are kept there',
    )
    .option(
      '-w, --workers <n>',
      'worker processes to run here (default: every core; with --store, none)',
      integer,
    )
    .option('-o, --out <folder>', "the local sweep's folder (default .chronovisor/sweeps/<name>)")
    .option(
      '--job-timeout <seconds>',
      "with --store: a cell's most time before its worker is taken for dead and it is run again (default 900)",
      integer,
    )
    .option('-q, --quiet', 'only the report')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  chronovisor sweep examples/sweep/grid.json --workers 4\n  chronovisor sweep grid.json --store postgres://me@db.example/chronovisor\n  chronovisor sweep report .chronovisor/sweeps/grid',
    )
    .action(async (grid: string, options: Parameters<typeof sweep>[1]) =>
      exit(await sweep(grid, options)),
    );
  sweeps
    .command('report')
    .description("A sweep's cells side by side: its axes, status, counts and the plugins' figures.")
    .argument(
      '[sweep]',
      "a local sweep's folder, or with --store the sweep's id (none: the server's sweeps)",
    )
    .option('--store <url>', 'the PostgreSQL server the sweep was queued on')
    .option('--json', 'machine-readable output')
    .action(async (which: string | undefined, options: Parameters<typeof sweepReport>[1]) =>
      exit(await sweepReport(which, options)),
    );
  sweeps
    .command('resume')
    .description(
      "Run a local sweep's cells that are not done (after Ctrl-C, or workers that died).",
    )
    .argument('<folder>', "the local sweep's folder")
    .option('-w, --workers <n>', 'worker processes (default: every core)', integer)
    .option('-q, --quiet', 'only the report')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, options: Parameters<typeof sweepResume>[1]) =>
      exit(await sweepResume(dir, options)),
    );

  cli
    .command('worker')
    .description(
      "Take a sweep's cells and run them, each into a run of its own: from a PostgreSQL server (any sweep there), or from a local sweep's folder.",
    )
    .option('--store <url>', 'the PostgreSQL server the sweeps are queued on')
    .option('--sweep <folder>', "a local sweep's folder instead")
    .option('--until-done', 'stop once no cell is queued or being run (default: wait for more)')
    .option(
      '--check-expired-every <seconds>',
      'with --store: how often to look for cells whose worker died (their job timed out), to run them again (default 30)',
      integer,
    )
    .option('-q, --quiet', 'no line a cell')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor worker --store postgres://me@db.example/chronovisor',
    )
    .action(async (options: Parameters<typeof worker>[0]) => exit(await worker(options)));

  cli
    .command('plugins')
    .description('The plugin set: versions, requirements, commands, event types and queries.')
    .option('-c, --config <file>', 'a plugin set (default: the MMU alone)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor plugins --config examples/quickstart/chronovisor.config.json',
    )
    .action((options: { config?: string; json?: boolean }) => exit(plugins(options)));

  return cli;
}

/** Runs the command line; resolves to the exit code: 0 success, 1 failed verification or divergence, 2 bad input. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv);
    return code;
  } catch (error) {
    // With --json, a script reads the error from standard output too, as JSON.
    const json = argv.includes('--json');
    const failed = (name: string, message: string): number => {
      if (json) console.log(JSON.stringify({ error: { name, message, exit: EXIT.badInput } }));
      return EXIT.badInput;
    };
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? EXIT.ok
        : failed(error.code, error.message.replace(/^error: /, ''));
    }
    if (error instanceof ChronovisorError) {
      console.error(`${pc.red('error:')} ${error.message}`);
      return failed(error.name, error.message);
    }
    throw error;
  }
}
