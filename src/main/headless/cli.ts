/** `defimon`: the headless command line over the same services as the desktop app. */
import { Command, CommanderError } from 'commander';
import { APP_VERSION } from '../services/version';
import { registerAssetCommands } from './commands/asset';
import { registerAuditCommands } from './commands/audit';
import { registerCollectCommands } from './commands/collect';
import { registerCoreCommands } from './commands/core';
import { registerMlCommands } from './commands/ml';
import { registerSyncCommands } from './commands/sync';
import { addGlobalOptions } from './runtime';

export function buildProgram(): Command {
  const program = addGlobalOptions(new Command('defimon'))
    .description('DEFIMON: DeFi investment research on Polygon, headless')
    .version(APP_VERSION)
    .showHelpAfterError('(run defimon --help for usage)')
    // Commander's own errors (unknown option, missing argument...) in the CLI's one error format.
    .configureOutput({ outputError: (str, write) => write(`defimon: INVALID_INPUT: ${str.replace(/^error: /, '')}`) })
    // Set before subcommands are added so they inherit it: usage errors become exit code 2.
    .exitOverride();
  registerCoreCommands(program);
  registerAssetCommands(program);
  registerCollectCommands(program);
  registerMlCommands(program);
  registerAuditCommands(program);
  registerSyncCommands(program);
  return program;
}

/**
 * Output piped into a reader that stops early (`defimon assets | head`) ends quietly: a closed
 * pipe is not an error, so the process exits at once with nothing on stderr.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      process.exitCode = 1;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    const e = err as { code?: unknown; message?: unknown };
    process.stderr.write(`defimon: ${typeof e.code === 'string' ? e.code : 'INTERNAL'}: ${String(e.message ?? err)}\n`);
    process.exitCode = 1;
  });
}
