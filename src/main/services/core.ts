/** What every domain receives: configuration, logger, the local store, events and tasks. */
import type { DefimonConfig } from './config/config';
import type { EventBus } from './events/bus';
import type { Logger } from './log/logger';
import type { Hlc } from './kernel/hlc';
import type { Ports } from './kernel/ports';
import type { SqliteStore } from './storage/sqlite';
import type { TaskRunner } from './tasks/tasks';

export interface Core {
  readonly config: DefimonConfig;
  readonly log: Logger;
  readonly store: SqliteStore;
  readonly bus: EventBus;
  readonly tasks: TaskRunner;
  /** Shared cache, rate limiter and locks; in-process unless the sync domain installs Redis ones. */
  readonly ports: Ports;
  /** Stamps user-data rows (columns `hlc` and `deleted`) for last-writer-wins sync. */
  readonly clock: Hlc;
  /** Registers cleanup run at shutdown, last registered first. */
  onShutdown(fn: () => Promise<void> | void): void;
}
