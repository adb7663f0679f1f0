/**
 * Runs source audits off the calling thread: a worker thread analyses one group of files at a
 * time and reports each step (parsing a file, analysing a project), and each step has a time
 * budget (config `audit.timeoutMs`: per file to parse, per file of a project to analyse). A step
 * over budget, or a worker that dies, terminates the worker; the files of that step are reported
 * by name as not analysed (the audit is incomplete) and the remaining files go on in a new worker.
 * The caller's event loop stays free throughout, and cancelling terminates the worker at once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditError } from '../../../shared/contract/audit';
import { AppError, type ErrorCode } from '../../../shared/errors';
import { mergeAnalyses, type AnalysisStep, type GroupAnalysis, type SourceAnalysis } from './report';
import { DEFAULT_LIMITS, type AuditLimits } from './limits';
import { prepareSources, type SourceInput } from './sources';

export type WorkerRequest = { id: number; group: SourceInput[] };
export type WorkerReply =
  | { id: number; type: 'ready' }
  | { id: number; type: 'step'; step: AnalysisStep }
  | { id: number; type: 'result'; result: GroupAnalysis }
  | { id: number; type: 'failed'; reason: string; code: ErrorCode };

export interface RunAnalysisOptions {
  limits?: AuditLimits;
  singleProject?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Loading the worker (the parser included) on a busy machine; generous, it is not the file's budget. */
const START_BUDGET_MS = 60_000;

function createWorker(): Worker {
  const opts = { resourceLimits: { stackSizeMb: 8, maxOldGenerationSizeMb: 2048 } };
  if (__filename.endsWith('.ts')) {
    // From source (tsx, vitest): a CommonJS stub registers tsx's require hook, then loads worker.ts.
    const entry = path.join(__dirname, 'worker.ts');
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, ...opts });
  }
  // Bundled: this code may sit in out/main or in a shared chunk below it.
  const candidates = [path.join(__dirname, 'audit-worker.js'), path.join(__dirname, '..', 'audit-worker.js')];
  const built = candidates.find((c) => existsSync(c));
  if (!built) throw new AppError('INTERNAL', `the audit worker is missing (${candidates[0]}); rebuild the app`);
  return new Worker(built, opts);
}

type Outcome = { kind: 'done'; result: GroupAnalysis } | { kind: 'stopped'; step: AnalysisStep | null; reason: string; code: ErrorCode };

/** One worker thread, reused for group after group until a step overruns or it dies. */
class AuditWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private nextId = 0;
  private dead: string | null = null;
  private listener: ((m: WorkerReply) => void) | null = null;
  private onDeath: ((reason: string) => void) | null = null;

  constructor() {
    this.worker = createWorker();
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AppError('INTERNAL', 'the audit worker did not start in time')), START_BUDGET_MS);
      this.listener = (m) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          this.listener = null;
          resolve();
        }
      };
      this.onDeath = (reason) => {
        clearTimeout(timer);
        reject(new AppError('INTERNAL', `the audit worker could not start: ${reason}`));
      };
    });
    this.worker.on('message', (m: WorkerReply) => this.listener?.(m));
    const die = (reason: string): void => {
      if (this.dead) return;
      this.dead = reason;
      this.onDeath?.(reason);
    };
    this.worker.on('error', (err: Error) => die(/heap|memory/i.test(err.message) ? 'it ran out of memory' : 'it stopped unexpectedly'));
    this.worker.on('exit', () => die('it stopped unexpectedly'));
  }

  async analyse(group: SourceInput[], limits: AuditLimits, signal?: AbortSignal): Promise<Outcome> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<Outcome>((resolve, reject) => {
      let step: AnalysisStep | null = null;
      let timer: NodeJS.Timeout | undefined;
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.listener = null;
        this.onDeath = null;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const arm = (ms: number): void => {
        clearTimeout(timer);
        timer = setTimeout(() => done(() => resolve({ kind: 'stopped', step, code: 'TIMEOUT', reason: `took longer than the time budget (${Math.round(ms / 100) / 10} s)` })), ms);
      };
      const onAbort = (): void => done(() => reject(new AppError('CANCELLED', 'audit was cancelled')));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.onDeath = (reason) => done(() => resolve({ kind: 'stopped', step, code: 'INTERNAL', reason: `the analyser stopped: ${reason}` }));
      this.listener = (m) => {
        if (m.id !== id) return;
        if (m.type === 'step') {
          step = m.step;
          arm(limits.timeoutMs * Math.max(1, m.step.files.length));
        } else if (m.type === 'result') done(() => resolve({ kind: 'done', result: m.result }));
        else if (m.type === 'failed') done(() => resolve({ kind: 'stopped', step, code: m.code, reason: m.reason }));
      };
      if (this.dead) return this.onDeath(this.dead);
      arm(START_BUDGET_MS);
      this.worker.postMessage({ id, group } satisfies WorkerRequest);
    });
  }

  terminate(): void {
    this.dead ??= 'terminated';
    void this.worker.terminate();
  }
}

function notAnalysed(files: string[], outcome: { reason: string; code: ErrorCode }, phase: AnalysisStep['phase'] | null): GroupAnalysis {
  const { reason, code } = outcome;
  const what = phase === 'parse' ? 'parsing' : phase === 'analyse' ? 'analysis' : 'the audit';
  const errors: AuditError[] = files.map((file) => ({ file, line: null, code, message: `not analysed: ${what} ${reason}${files.length > 1 ? ` (one project of ${files.length} files)` : ''}` }));
  return { findings: [], tokenRisk: null, files: [], errors, incomplete: files };
}

/**
 * Audits sources in a worker thread with a time budget per step. Resolves with every finding
 * it could get; files it could not analyse are in `incomplete` and `errors`. Rejects only when
 * cancelled or when no worker can be started.
 */
export async function analyzeOffThread(inputs: readonly SourceInput[], opts: RunAnalysisOptions = {}): Promise<SourceAnalysis> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const prepared = prepareSources(inputs, opts.singleProject ? { limits, singleProject: true } : { limits });
  const queue = prepared.groups.map((g) => [...g]);
  const parts: GroupAnalysis[] = [];
  let worker: AuditWorker | null = null;
  let done = 0;
  try {
    while (queue.length > 0) {
      opts.signal?.throwIfAborted();
      const group = queue.shift();
      if (!group) break;
      worker ??= new AuditWorker();
      const outcome = await worker.analyse(group, limits, opts.signal);
      if (outcome.kind === 'done') {
        parts.push(outcome.result);
        done += group.length;
        opts.onProgress?.(done, prepared.total);
        continue;
      }
      worker.terminate();
      worker = null;
      const step = outcome.step;
      if (step?.phase === 'parse') {
        // One file held the parser: report it and go on with the rest of its project.
        parts.push(notAnalysed(step.files, outcome, 'parse'));
        const rest = group.filter((f) => !step.files.includes(f.path));
        if (rest.length > 0) queue.unshift(rest);
        done += step.files.length;
      } else {
        parts.push(notAnalysed(step?.files ?? group.map((f) => f.path), outcome, step?.phase ?? null));
        done += group.length;
      }
      opts.onProgress?.(done, prepared.total);
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'audit was cancelled');
    throw err;
  } finally {
    worker?.terminate();
  }
  return mergeAnalyses(inputs, prepared, parts);
}
