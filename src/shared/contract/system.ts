import { z } from 'zod';
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

export const TaskInfo = z.object({
  taskId: z.string(),
  kind: z.string(),
  startedAt: z.string(),
  done: z.number(),
  total: z.number().nullable(),
  message: z.string().optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

export const systemMethods = {
  'system.info': method({
    description: 'Version, data directory, database and the bundled dataset attribution.',
    input: z.object({}).strict().default({}),
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
    input: z.object({}).strict().default({}),
    output: z.object({ ok: z.boolean(), checks: z.array(HealthCheck) }),
  }),
  'tasks.list': method({
    description: 'Long-running tasks in progress (imports, collection, training).',
    input: z.object({}).strict().default({}),
    output: z.array(TaskInfo),
  }),
  'tasks.cancel': method({
    description: 'Cancels a running task by id; false when it was not running.',
    input: z.object({ taskId: z.string().min(1) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  }),
};

export const systemEvents = {
  /** Progress of any long task (import, collection, training). */
  progress: z.object({
    taskId: z.string(),
    kind: z.string(),
    done: z.number(),
    total: z.number().nullable(),
    message: z.string().optional(),
    etaMs: z.number().nullable().optional(),
    finished: z.boolean().default(false),
  }),
};
