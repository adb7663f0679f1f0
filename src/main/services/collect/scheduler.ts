/**
 * Runs configured collectors on their intervals with a concurrency limit. Intervals come from
 * `DEFIMON_COLLECT_INTERVALS` ("chain=300,market=21600", seconds) over the defaults below;
 * `DEFIMON_COLLECT_CONCURRENCY` caps how many sources run at once. A failed run is recorded in
 * the status and retried at the next interval; the scheduler itself never stops on an error.
 */
import type { CollectRunSummary, CollectSource } from '../../../shared/contract/collect';
import type { Core } from '../core';
import { COLLECT_SOURCES } from './status';

export const DEFAULT_INTERVALS_SEC: Record<CollectSource, number> = {
  chain: 300,
  explorer: 24 * 3600,
  market: 6 * 3600,
  tvl: 6 * 3600,
  github: 24 * 3600,
  hf: 7 * 24 * 3600,
};

/** Longer intervals overflow the timer (about 24.8 days), which then fires every millisecond. */
const MAX_INTERVAL_SEC = Math.floor(2_147_483_647 / 1000);
const MIN_INTERVAL_SEC = 1;

export function parseIntervals(spec: string | undefined): Record<CollectSource, number> {
  const out = { ...DEFAULT_INTERVALS_SEC };
  if (!spec) return out;
  for (const part of spec.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    const secs = Number(value);
    if ((COLLECT_SOURCES as readonly string[]).includes(name ?? '') && secs >= MIN_INTERVAL_SEC && secs <= MAX_INTERVAL_SEC) out[name as CollectSource] = secs;
  }
  return out;
}

export interface Scheduler {
  /** Starts the given sources (default: every configured one). */
  start(sources: readonly CollectSource[]): void;
  /** Runs a source soon (e.g. on a new block); coalesces requests while it runs. */
  poke(source: CollectSource): void;
  stop(): Promise<void>;
  readonly running: boolean;
}

export function createScheduler(core: Core, run: (source: CollectSource, signal: AbortSignal) => Promise<CollectRunSummary>, env: NodeJS.ProcessEnv = process.env): Scheduler {
  const intervals = parseIntervals(env.DEFIMON_COLLECT_INTERVALS);
  const concurrency = Math.max(1, Number(env.DEFIMON_COLLECT_CONCURRENCY ?? 2) || 2);
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
        enqueue(s);
        const t = setInterval(() => enqueue(s), intervals[s] * 1000);
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
