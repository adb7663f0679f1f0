/** CLI commands of the sync domain. */
import type { Command } from 'commander';

export function registerSyncCommands(_program: Command): void {}
