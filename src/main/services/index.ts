/**
 * The composition root: createServices(config) builds every Electron-free service once. The
 * desktop app, the CLI, the HTTP server and the tests all start here.
 */
import path from 'node:path';
import { createClient, type Client } from '../../shared/client';
import { CollectSource } from '../../shared/contract/collect';
import { createAssetsDomain } from './assets';
import type { AuditDomain } from './audit';
import { auditMethods } from '../../shared/contract/audit';
import { createCollectDomain } from './collect';
import type { DefimonConfig } from './config/config';
import type { Core } from './core';
import { createEventBus } from './events/bus';
import { createImporterDomain } from './importer';
import { createLogger, type Logger } from './log/logger';
import { createMlDomain } from './ml';
import { headlineVersion } from './ml/api';
import { hasAssets } from './assets/api';
import type { MethodName } from '../../shared/contract';
import { dispatch, type CallContext, type Handler, type Handlers } from './rpc/dispatch';
import { createSettingsDomain } from './settings';
import { explainSqliteError, openSqlite } from './storage/sqlite';
import { createSyncDomain, syncClientId } from './sync';
import { createSystemDomain } from './system';
import { DB_FILE_NAME, findBundledDataset, readManifest } from './system/info';
import { createHlc } from './kernel/hlc';
import { createLocalPorts } from './kernel/ports';
import { createTaskRunner } from './tasks/tasks';
import { createUiDomain } from './ui';
import { APP_VERSION } from './version';

export { DB_FILE_NAME, findBundledDataset } from './system/info';
export { APP_VERSION };

/** Handlers that load their domain on the first call of any of them. */
function lazyHandlers<M extends MethodName>(methods: readonly M[], load: () => Promise<{ [K in M]: Handler<K> }>): { [K in M]: Handler<K> } {
  const out = {} as { [K in M]: Handler<K> };
  for (const m of methods) {
    const handler = async (input: never, ctx: CallContext): Promise<unknown> => ((await load())[m] as (i: never, c: CallContext) => unknown)(input, ctx);
    out[m] = handler as unknown as Handler<typeof m>;
  }
  return out;
}

export interface Services {
  readonly core: Core;
  readonly config: DefimonConfig;
  readonly log: Logger;
  readonly handlers: Handlers;
  /** The typed client over the in-process transport (CLI, tests). */
  readonly client: Client;
  call(method: string, input: unknown, ctx: CallContext): ReturnType<typeof dispatch>;
  close(): Promise<void>;
}

export async function createServices(config: DefimonConfig, opts: { logger?: Logger; onEvent?: (name: string, payload: unknown) => void } = {}): Promise<Services> {
  const log = opts.logger ?? createLogger({ dataDir: config.dataDir, level: config.logLevel, toStderr: config.logToStderr });
  const store = openSqlite({ file: path.join(config.dataDir, DB_FILE_NAME) });
  const bus = createEventBus();
  const tasks = createTaskRunner(bus);
  // A caller may watch events from the start, e.g. the first import's progress in the CLI.
  if (opts.onEvent) bus.onAny(opts.onEvent);
  const shutdown: (() => Promise<void> | void)[] = [];
  const core: Core = { config, log, store, bus, tasks, ports: createLocalPorts(), clock: createHlc(syncClientId(store)), onShutdown: (fn) => shutdown.push(fn) };

  const datasetDir = config.datasetDir ?? findBundledDataset();
  const manifest = readManifest(datasetDir);

  const importer = createImporterDomain(core, { datasetDir, bundledModel: config.bundledModel });
  if (config.autoImport) await importer.importIfEmpty();

  const system = createSystemDomain(core, { manifest });
  const assets = createAssetsDomain(core);
  const sync = createSyncDomain(core);
  const collect = createCollectDomain(core);
  const ml = createMlDomain(core);
  // The audit domain (the Solidity parser, ethers) loads on its first call, not at every start.
  let auditDomain: Promise<AuditDomain> | undefined;
  const audit = {
    handlers: lazyHandlers(Object.keys(auditMethods) as (keyof typeof auditMethods & MethodName)[], async () => {
      auditDomain ??= import('./audit').then((m) => m.createAuditDomain(core));
      return (await auditDomain).handlers;
    }),
  };
  const settings = createSettingsDomain(core);
  const ui = createUiDomain(core);

  if (config.autoCollect && config.mode !== 'cli') {
    // Long-running runners collect on a schedule; a source that is not configured is skipped.
    collect
      .watch(CollectSource.options)
      .then((stop) => core.onShutdown(stop))
      .catch((err: unknown) => log.warn({ err }, 'scheduled collection did not start'));
  }

  const handlers: Handlers = {
    ...system.handlers,
    ...assets.handlers,
    ...importer.handlers,
    ...sync.handlers,
    ...collect.handlers,
    ...ml.handlers,
    ...audit.handlers,
    ...settings.handlers,
    ...ui.handlers,
  };

  // SQLite's busy, read-only and corrupt errors reach every caller explained (path and remedy).
  for (const name of Object.keys(handlers) as (keyof Handlers)[]) {
    const handler = handlers[name] as (input: unknown, ctx: CallContext) => unknown;
    (handlers as Record<string, unknown>)[name] = async (input: unknown, ctx: CallContext) => {
      try {
        return await handler(input, ctx);
      } catch (err) {
        throw explainSqliteError(store.path, err);
      }
    };
  }

  const call = (method: string, input: unknown, ctx: CallContext) => dispatch(handlers, method, input, ctx, log);
  const client = createClient({
    invoke: (method, input, signal) => call(method, input, signal ? { origin: 'cli', signal } : { origin: 'cli' }),
    subscribe: (listener) => bus.onAny(listener),
  });

  // Scores without pressing anything: data imported without a matching shipped model (a CSV
  // directory of one's own) is trained on in the background, as an `ml.train` task with progress.
  // The desktop app and `defimon serve` only: a one-shot command would end before it does.
  let training: Promise<unknown> | null = null;
  const trainIfUnscored = (why: string): void => {
    if (!config.bundledModel || config.mode === 'cli' || store.readOnly || training) return;
    if (!hasAssets(store) || headlineVersion(store) !== null) return;
    log.info({ why }, 'no model for the imported data: training one in the background');
    training = client
      .call('ml.train', { promote: true })
      .then((m) => log.info({ version: m.version }, 'background training done: scores available'))
      .catch((err: unknown) => log.warn({ err }, 'background training did not finish'))
      .finally(() => {
        training = null;
      });
  };
  const importHandler = handlers['dataset.import'];
  handlers['dataset.import'] = async (input, ctx) => {
    const summary = await importHandler(input, ctx);
    trainIfUnscored('dataset imported');
    return summary;
  };
  trainIfUnscored('start');

  let closed = false;
  return {
    core,
    config,
    log,
    handlers,
    client,
    call,
    async close() {
      if (closed) return;
      closed = true;
      tasks.cancelAll();
      for (const fn of shutdown.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.warn({ err }, 'shutdown step failed');
        }
      }
      bus.close();
      store.close();
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}
