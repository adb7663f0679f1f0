/**
 * Runs configured collectors on their intervals with a concurrency limit: `collect.intervals`
 * (seconds per source) and `collect.concurrency` of the configuration (config.ts holds their
 * defaults and bounds; `DEFIMON_COLLECT_INTERVALS="chain=300,market=21600"` sets them from the
 * environment). A failed run is recorded in the status and retried at the next interval; the
 * scheduler itself never stops on an error.
 */
import type { CollectRunSummary, CollectSource } from '../../../shared/contract/collect';
import type { Core } from '../core';

export interface Scheduler {
  /** Starts the given sources (default: every configured one). */
  start(sources: readonly CollectSource[]): void;
  /** Runs a source soon (e.g. on a new block); coalesces requests while it runs. */
  poke(source: CollectSource): void;
  stop(): Promise<void>;
  readonly running: boolean;
}

export function createScheduler(core: Pick<Core, 'config' | 'log'>, run: (source: CollectSource, signal: AbortSignal) => Promise<CollectRunSummary>, opts: { paused?: () => boolean } = {}): Scheduler {
  const intervals = core.config.collect.intervals;
  const concurrency = core.config.collect.concurrency;
  const timers = new Map<CollectSource, NodeJS.Timeout>();
  const queue: CollectSource[] = [];
  const active = new Map<CollectSource, Promise<unknown>>();
  // Sources asked for while running: they run once more when the current run ends.
  const again = new Set<CollectSource>();
  let controller: AbortController | null = null;

  function pump(): void {
    while (controller && active.size < concurrency && queue.length > 0) {
      const source = queue.shift() as CollectSource;
      if (active.has(source)) continue;
      const p = run(source, controller.signal)
        .catch((err: unknown) => core.log.debug({ source, err }, 'scheduled collection failed'))
        .finally(() => {
          active.delete(source);
          if (again.delete(source)) enqueue(source);
          pump();
        });
      active.set(source, p);
    }
  }

  function enqueue(source: CollectSource): void {
    if (!controller || queue.includes(source)) return;
    if (active.has(source)) {
      again.add(source);
      return;
    }
    queue.push(source);
    pump();
  }

  return {
    get running() {
      return controller !== null;
    },
    start(sources) {
      if (controller) return;
      controller = new AbortController();
      for (const s of sources) {
        if (!opts.paused?.()) enqueue(s);
        // While paused (no network) the interval starts nothing; a poke still runs the source.
        const t = setInterval(() => {
          if (!opts.paused?.()) enqueue(s);
        }, intervals[s] * 1000);
        t.unref();
        timers.set(s, t);
      }
    },
    poke(source) {
      enqueue(source);
    },
    async stop() {
      for (const t of timers.values()) clearInterval(t);
      timers.clear();
      queue.length = 0;
      again.clear();
      controller?.abort();
      controller = null;
      await Promise.allSettled([...active.values()]);
    },
  };
}
