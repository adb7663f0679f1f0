/** What every domain receives: configuration, logger, the local store, events and tasks. */
import type { DefimonConfig } from './config/config';
import type { EventBus } from './events/bus';
import type { Logger } from './log/logger';
import type { SqliteStore } from './storage/sqlite';
import type { TaskRunner } from './tasks/tasks';

export interface Core {
  readonly config: DefimonConfig;
  readonly log: Logger;
  readonly store: SqliteStore;
  readonly bus: EventBus;
  readonly tasks: TaskRunner;
  /** Registers cleanup run at shutdown, last registered first. */
  onShutdown(fn: () => Promise<void> | void): void;
}
