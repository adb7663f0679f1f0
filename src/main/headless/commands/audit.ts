/** CLI commands of the audit domain. */
import type { Command } from 'commander';

export function registerAuditCommands(_program: Command): void {}
