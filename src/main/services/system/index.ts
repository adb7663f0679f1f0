/** The system domain: what the app is and where its data lives (`system.info`), health (`system.doctor`), long tasks (`tasks.*`). */
import type { systemMethods } from '../../../shared/contract/system';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { runDoctor } from './doctor';

/** The bundled dataset's manifest, as `resources/dataset/manifest.json` describes it. */
export interface DatasetManifest {
  name: string;
  cutoff: string;
}

const DATASET_ATTRIBUTION =
  'Market data: CoinGecko, Binance (via CryptoDataDownload), Yahoo Finance, CoinMarketCap; fundamentals: Token Terminal (to 2022-02) and DefiLlama (TVL, fees, chain TVL to 2023-07, each kept with its source); project descriptions: OSS Directory, Trust Wallet assets; development activity counted from public git history.';

export interface SystemDomain {
  handlers: HandlersFor<typeof systemMethods>;
}

export function createSystemDomain(core: Core, opts: { appVersion: string; manifest: DatasetManifest | null }): SystemDomain {
  const { config, store, tasks } = core;
  const migrations = store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM schema_migrations');
  return {
    handlers: {
      'system.info': (_input, ctx) => ({
        version: opts.appVersion,
        mode: ctx.origin === 'ipc' ? 'desktop' : ctx.origin === 'http' ? 'web' : 'cli',
        dataDir: config.dataDir,
        database: { path: store.path, sizeBytes: store.sizeBytes(), migrations: migrations.get()?.n ?? 0 },
        dataset: opts.manifest ? { name: opts.manifest.name, cutoff: opts.manifest.cutoff, attribution: DATASET_ATTRIBUTION } : null,
      }),
      'system.doctor': () => runDoctor(config, store),
      'tasks.list': () => tasks.list(),
      'tasks.cancel': ({ taskId }) => ({ cancelled: tasks.cancel(taskId) }),
    },
  };
}
