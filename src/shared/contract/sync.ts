// Contract methods and events of the sync domain (see the domain's issue). Add entries here only.
import { z } from 'zod';
import { Empty, nullableFields } from '../schemas';
import { method, type MethodMap } from './define';

export const SyncState = z.enum(['disabled', 'idle', 'syncing', 'offline', 'error']);
export type SyncState = z.infer<typeof SyncState>;

const Count = z.number().int().nonnegative();

/** Rows moved so far: pushed, pulled, refused in either direction (see sync.rejects), and local rows not yet acknowledged by the team database (outbox plus unshared imports). */
const SyncCounts = z.object({ pending: Count, pushed: Count, pulled: Count, rejected: Count });

/** What the Data view shows about team sync. URLs are redacted; counters survive restarts. */
export const SyncStatus = z.object({
  /** A team Postgres is configured. */
  configured: z.boolean(),
  /** The background worker is running in this process. */
  running: z.boolean(),
  /** disabled: no team database; offline: unreachable, retrying with backoff; error: reachable but failing. */
  state: SyncState,
  postgres: z.string().nullable(),
  replica: z.string().nullable(),
  redis: z.object({ url: z.string(), connected: z.boolean() }).nullable(),
  clientId: z.string(),
  ...SyncCounts.shape,
  /** Last team change applied here (server change sequence). */
  watermark: Count,
  /** Times are ISO strings; `nextRetryAt`: when the next attempt is due while offline. */
  ...nullableFields(z.string(), ['lastPushAt', 'lastPullAt', 'lastError', 'lastErrorAt', 'nextRetryAt']),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

export const SyncRunResult = SyncCounts.extend({
  ms: z.number().nonnegative(),
  /** Time spent pushing (imports and outbox) and pulling, of `ms`. */
  pushMs: z.number().nonnegative(),
  pullMs: z.number().nonnegative(),
});
export type SyncRunResult = z.infer<typeof SyncRunResult>;

export const SyncReject = z.object({
  id: z.number().int(),
  direction: z.enum(['push', 'pull']),
  table: z.string().nullable(),
  seq: z.number().nullable(),
  row: z.string().nullable(),
  error: z.string(),
  at: z.string(),
});
export type SyncReject = z.infer<typeof SyncReject>;

export const syncMethods = {
  'sync.status': method({
    description: 'Team sync state: connected or offline, pending rows, counters, last push and pull, last error.',
    input: Empty,
    output: SyncStatus,
  }),
  'sync.now': method({
    description: 'Pushes everything pending and pulls what the team wrote, now; retries briefly when the team database is away.',
    input: Empty,
    output: SyncRunResult,
    long: true,
  }),
  'sync.rejects': method({
    description: 'Rows refused by sync (malformed rows from the team database, rows the team database refused), newest first.',
    input: z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict().default({ limit: 100 }),
    output: z.array(SyncReject),
  }),
} satisfies MethodMap;

export const syncEvents = {
  /** Sent when the sync state changes and after each pushed or pulled batch (at most ~4 a second). */
  'sync.status': SyncStatus,
};
