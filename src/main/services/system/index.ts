/** The system domain: what the app is and where its data lives (`system.info`), health (`system.doctor`), long tasks (`tasks.*`). */
import type { systemMethods } from '../../../shared/contract/system';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { runDoctor } from './doctor';
import { describeSystem, type DatasetManifest } from './info';

export interface SystemDomain {
  handlers: HandlersFor<typeof systemMethods>;
}

export function createSystemDomain(core: Core, opts: { manifest: DatasetManifest | null }): SystemDomain {
  const { config, store, tasks } = core;
  return {
    handlers: {
      'system.info': (_input, ctx) =>
        describeSystem(store.db, store.path, { dataDir: config.dataDir, mode: ctx.origin === 'ipc' ? 'desktop' : ctx.origin === 'http' ? 'web' : 'cli', manifest: opts.manifest }),
      'system.doctor': () => runDoctor(config, store),
      'tasks.list': () => tasks.list(),
      'tasks.cancel': ({ taskId }) => ({ cancelled: tasks.cancel(taskId) }),
    },
  };
}
