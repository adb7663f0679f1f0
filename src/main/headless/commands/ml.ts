/** CLI commands of the ml domain. */
import type { Command } from 'commander';

export function registerMlCommands(_program: Command): void {}
