import { ChronovisorError } from '@chronovisor/core';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { EXIT } from './cli-error';
import { replay } from './commands/replay';
import { run } from './commands/run';
import { verify } from './commands/verify';

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

function program(exit: (code: number) => void): Command {
  const cli = new Command('chronovisor')
    .description('An event-sourced simulator of virtual memory and virtualization mechanisms.')
    .version('1.0.0')
    .exitOverride()
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
    .option('-f, --force', 'replace the run file if it exists')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  chronovisor run examples/quickstart --seed 7 --out quickstart.db',
    )
    .action(async (scenario: string, options: Parameters<typeof run>[1]) =>
      exit(await run(scenario, options)),
    );

  cli
    .command('replay')
    .description("Rebuild a run's state from its events, checking every recorded digest.")
    .argument('<run>', 'a run file')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor replay .chronovisor/runs/quickstart-seed1.db')
    .action((file: string, options: { json?: boolean }) => exit(replay(file, options)));

  cli
    .command('verify')
    .description(
      "Check a run's audit chain: names the first record or tree head that was tampered with.",
    )
    .argument('<run>', 'a run file')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  chronovisor verify .chronovisor/runs/quickstart-seed1.db')
    .action((file: string, options: { json?: boolean }) => exit(verify(file, options)));

  return cli;
}

/** Runs the command line; resolves to the exit code: 0 success, 1 failed verification or divergence, 2 bad input. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.badInput;
    }
    if (error instanceof ChronovisorError) {
      console.error(`${pc.red('error:')} ${error.message}`);
      return EXIT.badInput;
    }
    throw error;
  }
}
