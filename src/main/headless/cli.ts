/** `defimon`: the headless command line over the same services as the desktop app. */
import { Command, CommanderError } from 'commander';
import { APP_VERSION } from '../services/version';
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
    // Set before subcommands are added so they inherit it: usage errors become exit code 2.
    .exitOverride();
  registerCoreCommands(program);
  registerCollectCommands(program);
  registerMlCommands(program);
  registerAuditCommands(program);
  registerSyncCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
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
    process.stderr.write(`defimon: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
