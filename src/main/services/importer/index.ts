/** The importer domain: loads the bundled dataset, or a directory of CSVs, as a cancellable task (`dataset.import`). */
import path from 'node:path';
import type { assetMethods } from '../../../shared/contract/assets';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { collectSimilarity } from '../collect/api';
import { installBundledModel } from '../ml/api';
import { datasetFingerprint, importDataset } from './importer';
import { withDirLock } from '../storage/dir-lock';
import { corruptDatabaseError } from '../storage/sqlite';

export interface ImporterDomain {
  handlers: Pick<HandlersFor<typeof assetMethods>, 'dataset.import'>;
  /** Imports the bundled dataset when the store has no assets yet (first start). */
  importIfEmpty(): Promise<void>;
}

/**
 * @param opts.bundledModel With the bundled import, install the model shipped with the dataset
 *   when it was trained on exactly these files (scores on first open). @default false
 */
export function createImporterDomain(core: Core, opts: { datasetDir: string | null; bundledModel?: boolean }): ImporterDomain {
  const { store, tasks, log } = core;
  const runImport = (dir: string | undefined, source: string, signal?: AbortSignal) =>
    tasks.run(
      'import',
      async ({ progress, signal: taskSignal }) => {
        const from = dir ?? opts.datasetDir;
        if (!from) throw new AppError('NOT_FOUND', 'the bundled dataset is missing (resources/dataset); pass a directory of CSVs');
        // One importer per data directory: a second process waits for the first (then finds the
        // dataset already imported) instead of failing on SQLite's busy timeout mid-import.
        const summary = await withDirLock(
          path.dirname(store.path),
          'importing into this folder',
          () => {
            // Importing into a damaged file would hide the damage under fresh rows.
            const check = store.db.pragma('quick_check(1)', { simple: true }) as string;
            if (check !== 'ok') throw corruptDatabaseError(store.path, new Error(check));
            const summary = importDataset({ store, dir: from, source, onProgress: progress });
            if (from === opts.datasetDir && opts.bundledModel) {
              // The dataset's own model, trained on exactly these files: scores on first open, no training wait.
              progress(4, 4, 'installing the bundled model');
              const model = installBundledModel(store, from, datasetFingerprint(from));
              summary.model = model.installed ? { installed: true, version: model.version, detail: `${model.predictions} stored predictions` } : { installed: false, version: null, detail: model.reason };
              if (model.installed) log.info({ version: model.version }, 'bundled model installed');
            }
            log.info({ summary: { ...summary, skipped: summary.skipped.length } }, 'dataset imported');
            return summary;
          },
          { signal: taskSignal, onWait: (holder) => log.warn({ pid: holder?.pid ?? null }, 'another DEFIMON process is importing into this folder; waiting for it') },
        );
        // Peers from the descriptions, offline (TF-IDF through the collectors' similarity path), when none exist yet.
        if (store.db.prepare<[], 1>('SELECT 1 FROM competitor_analysis LIMIT 1').get() === undefined) {
          progress(4, 4, 'computing peers from descriptions');
          const peers = await collectSimilarity({ core, offline: true, signal: taskSignal, progress: () => undefined });
          log.info({ peers: peers.items }, 'peers computed');
        }
        return summary;
      },
      signal ? { signal } : {},
    );
  return {
    handlers: {
      'dataset.import': ({ dir }, ctx) => {
        // Over HTTP a directory would be the server's disk (as for audit.source's path).
        if (dir !== undefined && ctx.origin === 'http') throw new AppError('FORBIDDEN', 'dataset.import over HTTP imports the bundled dataset only, not a server directory');
        return runImport(dir, dir === undefined ? 'bundled' : `dir:${path.resolve(dir)}`, ctx.signal);
      },
    },
    async importIfEmpty() {
      if (!opts.datasetDir || store.readOnly) return;
      const n = store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM crypto_assets').get()?.n ?? 0;
      if (n === 0) await runImport(undefined, 'bundled');
    },
  };
}
