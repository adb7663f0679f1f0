/** The collectors' scheduler: intervals from settings, concurrency cap, coalesced pokes, stop. */
import { describe, expect, it } from 'vitest';
import type { CollectRunSummary, CollectSource } from '../../src/shared/contract/collect';
import type { Core } from '../../src/main/services/core';
import { createScheduler } from '../../src/main/services/collect/scheduler';
import { loadConfig } from '../../src/main/services/config/config';

const quietCore = (env: NodeJS.ProcessEnv): Pick<Core, 'config' | 'log'> => ({ log: { debug: () => undefined } as unknown as Core['log'], config: loadConfig({ overrides: { dataDir: '/nonexistent-defimon' }, env }) });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('collector scheduler', () => {
  it('reads intervals from DEFIMON_COLLECT_INTERVALS over the defaults; junk and out-of-bounds values are a clear error', () => {
    const i = loadConfig({ overrides: { dataDir: '/nonexistent-defimon' }, env: { DEFIMON_COLLECT_INTERVALS: 'chain=60, market=7200' } }).collect.intervals;
    expect(i.chain).toBe(60);
    expect(i.market).toBe(7200);
    expect(i.github).toBe(86_400);
    const load = (v: string) => () => loadConfig({ overrides: { dataDir: '/nonexistent-defimon' }, env: { DEFIMON_COLLECT_INTERVALS: v } });
    expect(load('github=abc')).toThrow(/DEFIMON_COLLECT_INTERVALS must look like/);
    expect(load('nope=5')).toThrow(/collect\.intervals/);
    // Beyond the timer's range (or below a second) would fire in a tight loop.
    expect(load('chain=3000000')).toThrow(/collect\.intervals\.chain/);
    expect(load('market=0.001')).toThrow(/collect\.intervals\.market/);
    expect(loadConfig({ overrides: { dataDir: '/nonexistent-defimon' }, env: { DEFIMON_COLLECT_INTERVALS: 'tvl=2000000' } }).collect.intervals.tvl).toBe(2_000_000);
  });

  it('runs at most `concurrency` sources at once, coalesces pokes while a source runs, and stops cleanly', async () => {
    const started: CollectSource[] = [];
    const gates = new Map<CollectSource, ReturnType<typeof deferred>[]>();
    let running = 0;
    let peak = 0;
    const run = async (source: CollectSource, signal: AbortSignal): Promise<CollectRunSummary> => {
      started.push(source);
      running++;
      peak = Math.max(peak, running);
      const d = deferred();
      gates.set(source, [...(gates.get(source) ?? []), d]);
      await Promise.race([d.promise, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      running--;
      return { source, items: 0, ms: 0, details: {} };
    };
    const s = createScheduler(quietCore({ DEFIMON_COLLECT_CONCURRENCY: '2', DEFIMON_COLLECT_INTERVALS: 'chain=3600,market=3600,tvl=3600' }), run);
    s.start(['chain', 'market', 'tvl']);
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['chain', 'market']);
    // Three pokes while chain runs become one more run after it.
    s.poke('chain');
    s.poke('chain');
    s.poke('chain');
    gates.get('chain')?.[0]?.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['chain', 'market', 'tvl']);
    gates.get('market')?.[0]?.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['chain', 'market', 'tvl', 'chain']);
    expect(peak).toBe(2);
    await s.stop();
    expect(s.running).toBe(false);
    expect(running).toBe(0);
    s.poke('chain');
    expect(started).toHaveLength(4);
  });
});
