/**
 * Long work (imports, collection, training) runs as a task: it gets an AbortSignal and a
 * progress reporter, its progress reaches every transport as `progress` events, and any
 * transport can cancel it by id.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import type { EventBus } from '../events/bus';

export interface TaskInfo {
  taskId: string;
  kind: string;
  startedAt: string;
  done: number;
  total: number | null;
  message: string | undefined;
}

export type ReportProgress = (done: number, total: number | null, message?: string) => void;

export interface TaskRunner {
  run<T>(kind: string, fn: (ctx: { signal: AbortSignal; progress: ReportProgress; taskId: string }) => Promise<T> | T, opts?: { signal?: AbortSignal }): Promise<T>;
  list(): TaskInfo[];
  cancel(taskId: string): boolean;
  cancelAll(): void;
}

export function createTaskRunner(bus: EventBus): TaskRunner {
  const running = new Map<string, { info: TaskInfo; controller: AbortController; started: number }>();
  return {
    async run(kind, fn, opts) {
      const taskId = randomUUID();
      const controller = new AbortController();
      const onOuterAbort = (): void => controller.abort(opts?.signal?.reason);
      opts?.signal?.addEventListener('abort', onOuterAbort, { once: true });
      const info: TaskInfo = { taskId, kind, startedAt: new Date().toISOString(), done: 0, total: null, message: undefined };
      const started = performance.now();
      running.set(taskId, { info, controller, started });
      let lastEmit = 0;
      const progress: ReportProgress = (done, total, message) => {
        info.done = done;
        info.total = total;
        info.message = message;
        const now = performance.now();
        // At most ~10 events a second per task; the last one always goes out.
        if (now - lastEmit < 100 && (total === null || done < total)) return;
        lastEmit = now;
        const elapsed = now - started;
        const etaMs = total !== null && done > 0 && done < total ? Math.round((elapsed / done) * (total - done)) : null;
        bus.emit('progress', { taskId, kind, done, total, message, etaMs, finished: false });
      };
      bus.emit('progress', { taskId, kind, done: 0, total: null, message: 'started', etaMs: null, finished: false });
      try {
        if (controller.signal.aborted) throw new AppError('CANCELLED', `${kind} was cancelled`);
        const result = await fn({ signal: controller.signal, progress, taskId });
        bus.emit('progress', { taskId, kind, done: info.done, total: info.total, message: 'finished', etaMs: 0, finished: true });
        return result;
      } catch (err) {
        const cancelled = controller.signal.aborted;
        bus.emit('progress', { taskId, kind, done: info.done, total: info.total, message: cancelled ? 'cancelled' : `failed: ${(err as Error).message}`, etaMs: null, finished: true });
        if (cancelled && !(err instanceof AppError && err.code === 'CANCELLED')) throw new AppError('CANCELLED', `${kind} was cancelled`, { cause: err });
        throw err;
      } finally {
        opts?.signal?.removeEventListener('abort', onOuterAbort);
        running.delete(taskId);
      }
    },
    list() {
      return [...running.values()].map((r) => ({ ...r.info }));
    },
    cancel(taskId) {
      const t = running.get(taskId);
      if (!t) return false;
      t.controller.abort(new AppError('CANCELLED', `${t.info.kind} was cancelled`));
      return true;
    },
    cancelAll() {
      for (const t of running.values()) t.controller.abort(new AppError('CANCELLED', `${t.info.kind} was cancelled (shutting down)`));
    },
  };
}
