import { z } from 'zod';
import { Cancelled, Empty } from '../schemas';
import { method } from './define';

export const HealthCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  configured: z.boolean(),
  message: z.string(),
  latencyMs: z.number().nullable(),
});
export type HealthCheck = z.infer<typeof HealthCheck>;

export const DatasetProvenance = z.object({
  name: z.string(),
  cutoff: z.string(),
  attribution: z.string(),
});

/** Where a long task stands: what the task list and every `progress` event carry. */
const TaskProgress = z.object({ taskId: z.string(), kind: z.string(), done: z.number(), total: z.number().nullable(), message: z.string().optional() });

export const TaskInfo = TaskProgress.extend({ startedAt: z.string() });
export type TaskInfo = z.infer<typeof TaskInfo>;

export const systemMethods = {
  'system.info': method({
    description: 'Version, data directory, database and the bundled dataset attribution.',
    input: Empty,
    output: z.object({
      version: z.string(),
      mode: z.enum(['desktop', 'web', 'cli']),
      dataDir: z.string(),
      database: z.object({ path: z.string(), sizeBytes: z.number(), migrations: z.number() }),
      dataset: DatasetProvenance.nullable(),
    }),
  }),
  'system.doctor': method({
    description: 'Checks the database and every configured service; says plainly what works.',
    input: Empty,
    output: z.object({ ok: z.boolean(), checks: z.array(HealthCheck) }),
  }),
  'tasks.list': method({
    description: 'Long-running tasks in progress (imports, collection, training).',
    input: Empty,
    output: z.array(TaskInfo),
  }),
  'tasks.cancel': method({
    description: 'Cancels a running task by id; false when it was not running.',
    input: z.object({ taskId: z.string().min(1) }).strict(),
    output: Cancelled,
  }),
};

export const systemEvents = {
  /** Progress of any long task (import, collection, training). */
  progress: TaskProgress.extend({ etaMs: z.number().nullable().optional(), finished: z.boolean().default(false) }),
};
