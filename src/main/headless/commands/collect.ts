/** CLI commands of the collect domain. */
import type { Command } from 'commander';

export function registerCollectCommands(_program: Command): void {}
