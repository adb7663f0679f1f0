/**
 * What each collector is doing and last did (running, progress, last success, last error) and
 * what each provider's rate limit looks like. Last success/error survive restarts (table
 * `collector_status`, this machine's own record, so written directly and never queued for
 * team sync); running state and provider counters live in memory. Every change is
 * announced as a `collect.status` event so the Data view stays current without polling.
 */
import type { CollectSource, ProviderStatus, SourceStatus } from '../../../shared/contract/collect';
import { serializeError } from '../../../shared/errors';
import type { Core } from '../core';
import type { CollectorStatusTable } from '../storage/db-types';
import type { HttpClient } from './http';

export interface CollectorStatusRegistry {
  begin(source: CollectSource, taskId: string): void;
  progress(source: CollectSource, done: number, total: number | null, message?: string): void;
  succeed(source: CollectSource, items: number, durationMs: number): void;
  fail(source: CollectSource, err: unknown, durationMs: number): void;
  registerProvider(client: HttpClient): void;
  sources(): SourceStatus[];
  providers(): ProviderStatus[];
}

export const COLLECT_SOURCES = ['chain', 'explorer', 'market', 'tvl', 'github', 'hf'] as const satisfies readonly CollectSource[];

type StatusRow = CollectorStatusTable;

export function createStatusRegistry(core: Core): CollectorStatusRegistry {
  const live = new Map<CollectSource, { taskId: string | null; running: boolean; done: number; total: number | null; message: string | null; startedAt: string | null }>();
  const providers = new Map<string, HttpClient>();

  const read = (source: CollectSource): StatusRow | undefined => core.store.db.prepare<unknown[], StatusRow>('SELECT * FROM collector_status WHERE source = ?').get(source);

  function snapshot(source: CollectSource): SourceStatus {
    const row = read(source);
    const l = live.get(source);
    return {
      source,
      running: l?.running ?? false,
      taskId: l?.running ? l.taskId : null,
      startedAt: l?.running ? l.startedAt : null,
      done: l?.done ?? 0,
      total: l?.total ?? null,
      message: l?.message ?? null,
      lastSuccessAt: row?.last_success_at ?? null,
      lastErrorAt: row?.last_error_at ?? null,
      lastError: row?.last_error_code ? { code: row.last_error_code, message: row.last_error ?? '' } : null,
      lastItems: row?.last_items ?? null,
      lastDurationMs: row?.last_duration_ms ?? null,
    };
  }

  const announce = (source: CollectSource): void => core.bus.emit('collect.status', snapshot(source));
  const now = (): string => new Date().toISOString();

  return {
    begin(source, taskId) {
      live.set(source, { taskId, running: true, done: 0, total: null, message: 'started', startedAt: now() });
      announce(source);
    },
    progress(source, done, total, message) {
      const l = live.get(source);
      if (!l) return;
      l.done = done;
      l.total = total;
      l.message = message ?? null;
    },
    succeed(source, items, durationMs) {
      const at = now();
      core.store.db
        .prepare('INSERT INTO collector_status (source, last_success_at, last_items, last_duration_ms, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET last_success_at = excluded.last_success_at, last_items = excluded.last_items, last_duration_ms = excluded.last_duration_ms, updated_at = excluded.updated_at')
        .run(source, at, items, Math.round(durationMs), at);
      const l = live.get(source);
      if (l) {
        l.running = false;
        l.message = 'finished';
      }
      announce(source);
    },
    fail(source, err, durationMs) {
      const e = serializeError(err);
      const at = now();
      core.store.db
        .prepare('INSERT INTO collector_status (source, last_error_at, last_error_code, last_error, last_duration_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET last_error_at = excluded.last_error_at, last_error_code = excluded.last_error_code, last_error = excluded.last_error, last_duration_ms = excluded.last_duration_ms, updated_at = excluded.updated_at')
        .run(source, at, e.code, e.message, Math.round(durationMs), at);
      const l = live.get(source);
      if (l) {
        l.running = false;
        l.message = e.code === 'CANCELLED' ? 'cancelled' : 'failed';
      }
      core.log.warn({ source, code: e.code, message: e.message }, 'collector failed');
      announce(source);
    },
    registerProvider(client) {
      providers.set(client.policy.name, client);
    },
    sources: () => COLLECT_SOURCES.map(snapshot),
    providers: () => [...providers.values()].map((c) => c.state()),
  };
}
