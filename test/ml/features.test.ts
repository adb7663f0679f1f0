import { afterEach, describe, expect, it } from 'vitest';
import { BASE_FEATURES, computeFeatures, DEFILLAMA_STALE_DAYS, FEATURE_LOOKBACK_DAYS, INDICATORS, type FeatureSet } from '../../src/main/services/ml/features';
import { featureLabel, isKnownFeature } from '../../src/shared/feature-labels';
import { addDays, createRng } from '../../src/main/services/ml/math';
import { loadPanel, loadWarmPanel, windowOf } from '../../src/main/services/ml/panel';
import { openSqlite, type SqliteStore } from '../../src/main/services/storage/sqlite';
import { tempDataDir } from '../helpers/services';
import { clonePanel, syntheticPanel } from './synthetic';

const same = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || a === b;

describe('features', () => {
  it('never look ahead: changing every value after a day changes no feature up to that day', () => {
    const panel = syntheticPanel({ assets: 30, days: 400, seed: 5 });
    const cutoff = 250;
    const changed = clonePanel(panel);
    const rand = createRng(42);
    for (const arrs of Object.values(changed.series))
      for (const arr of arrs) for (let t = cutoff + 1; t < arr.length; t++) if (!Number.isNaN(arr[t]!)) arr[t] = arr[t]! * (0.2 + rand() * 3);
    const h = 30;
    const a = computeFeatures(panel, { horizon: h });
    const b = computeFeatures(changed, { horizon: h });
    let compared = 0;
    let targetsCompared = 0;
    for (let r = 0; r < a.nRows && a.rowDay[r]! <= cutoff; r++) {
      expect(b.rowAsset[r]).toBe(a.rowAsset[r]);
      expect(b.rowDay[r]).toBe(a.rowDay[r]);
      for (let j = 0; j < a.nFeat; j++) {
        if (!same(a.X[r * a.nFeat + j]!, b.X[r * b.nFeat + j]!)) throw new Error(`feature ${a.names[j]} of row ${r} (day ${a.rowDay[r]}) changed`);
        compared++;
      }
      // The target looks ahead by design, but only `h` days.
      if (a.rowDay[r]! + h <= cutoff) {
        expect(same(a.target[r]!, b.target[r]!)).toBe(true);
        targetsCompared++;
      }
    }
    expect(compared).toBeGreaterThan(100_000);
    expect(targetsCompared).toBeGreaterThan(1000);
    // And the change did reach later rows, so the comparison could have failed.
    let later = 0;
    for (let r = 0; r < a.nRows; r++) if (a.rowDay[r]! > cutoff + 5 && !same(a.X[r * a.nFeat]!, b.X[r * b.nFeat]!)) later++;
    expect(later).toBeGreaterThan(100);
  });

  it('keeps a missing family missing (NaN plus an indicator), never zero', () => {
    const fs = computeFeatures(syntheticPanel({ assets: 12, days: 200 }), { horizon: 30 });
    const col = (name: string): number => fs.names.indexOf(name);
    let withTvl = 0;
    let without = 0;
    for (let r = 0; r < fs.nRows; r++) {
      const a = fs.rowAsset[r]!;
      const tvl = fs.X[r * fs.nFeat + col('log_tvl')]!;
      const has = fs.X[r * fs.nFeat + col('has_tvl')]!;
      if (a % 2 === 0) {
        expect(Number.isFinite(tvl)).toBe(true);
        expect(has).toBe(1);
        withTvl++;
      } else {
        expect(Number.isNaN(tvl)).toBe(true);
        expect(Number.isNaN(fs.X[r * fs.nFeat + col('rank_log_tvl')]!)).toBe(true);
        expect(has).toBe(0);
        without++;
      }
    }
    expect(withTvl).toBeGreaterThan(0);
    expect(without).toBeGreaterThan(0);
    // Chain data is absent everywhere: its features are NaN, not 0.
    for (let r = 0; r < fs.nRows; r++) expect(Number.isNaN(fs.X[r * fs.nFeat + col('log_active_7')]!)).toBe(true);
  });

  it('makes the target relative to the day: its median across assets is zero', () => {
    const fs = computeFeatures(syntheticPanel({ assets: 21, days: 200 }), { horizon: 20 });
    const byDay = new Map<number, number[]>();
    for (let r = 0; r < fs.nRows; r++) if (Number.isFinite(fs.target[r]!)) byDay.set(fs.rowDay[r]!, [...(byDay.get(fs.rowDay[r]!) ?? []), fs.target[r]!]);
    expect(byDay.size).toBeGreaterThan(50);
    for (const ys of byDay.values()) {
      const s = [...ys].sort((x, y) => x - y);
      const med = s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
      expect(Math.abs(med)).toBeLessThan(1e-12);
    }
    // No target in the last `horizon` days: those returns are not known yet.
    for (let r = 0; r < fs.nRows; r++) if (fs.rowDay[r]! + 20 >= fs.days.length) expect(Number.isNaN(fs.target[r]!)).toBe(true);
    expect(BASE_FEATURES.length * 2 + INDICATORS.length).toBe(fs.nFeat);
  });
});

describe('loadPanel', () => {
  let store: SqliteStore | undefined;
  let remove: (() => void) | undefined;
  afterEach(() => {
    store?.close();
    remove?.();
  });

  it('prefers live sources, lands a week on its Sunday, and reads nothing after `until`', () => {
    const tmp = tempDataDir('ml-panel');
    remove = tmp.remove;
    store = openSqlite({ file: `${tmp.dir}/t.sqlite` });
    const now = new Date().toISOString();
    store.write('crypto_assets', [{ asset_id: 'AAA', symbol: 'AAA', name: 'A', source: 'test', updated_at: now }], { origin: 'import' });
    const fin = (day: string, source: string, close: number) => ({ asset_id: 'AAA', day, source, close, volume_usd: 10, market_cap: 1000, updated_at: now });
    store.write('financial_metrics', [fin('2021-01-04', 'bundled', 1), fin('2021-01-05', 'bundled', 2), fin('2021-01-05', 'coingecko', 2.5), fin('2021-01-12', 'bundled', 3), fin('2021-01-20', 'bundled', 4)]);
    store.write('onchain_metrics', [
      { asset_id: 'AAA', day: '2021-01-05', source: 'tokenterminal', tvl: 100, updated_at: now },
      { asset_id: 'AAA', day: '2021-01-05', source: 'defillama', tvl: 120, updated_at: now },
    ]);
    const llama = (day: string, tvl: number) => ({ asset_id: 'AAA', day, scope: 'v3 only', tvl, source: 'defillama:test', updated_at: now });
    store.write('defillama_protocol_daily', [llama('2021-01-05', 500), llama('2021-01-06', 130)], { origin: 'import' });
    store.write('github_metrics', [
      { asset_id: 'AAA', repo: '*', week_start: '2021-01-04', source: 'bundled', commits: 7, distinct_authors: 2, updated_at: now },
      { asset_id: 'AAA', repo: 'org/x', week_start: '2021-01-04', source: 'bundled', commits: 5, distinct_authors: 2, stars: 3, updated_at: now },
      { asset_id: 'AAA', repo: '*', week_start: '2021-01-11', source: 'bundled', commits: 9, distinct_authors: 3, updated_at: now },
    ]);
    const p = loadPanel(store.db, { until: '2021-01-15' });
    expect(p.days[0]).toBe('2021-01-04');
    expect(p.days[p.days.length - 1]).toBe('2021-01-12');
    const at = (day: string): number => p.days.indexOf(day);
    expect(p.series.close[0]![at('2021-01-05')]).toBe(2.5);
    // DefiLlama's TVL, live or bundled, never lands in Token Terminal's series; the live number
    // beats the bundled one of its day, under a scope of its own.
    expect(p.series.tvl[0]![at('2021-01-05')]).toBe(100);
    expect(p.series.dl_tvl[0]![at('2021-01-05')]).toBe(120);
    expect(p.series.dl_tvl[0]![at('2021-01-06')]).toBe(130);
    expect(p.series.dl_tvl_scope[0]![at('2021-01-05')]).not.toBe(p.series.dl_tvl_scope[0]![at('2021-01-06')]);
    expect(Number.isNaN(p.series.tvl[0]![at('2021-01-06')]!)).toBe(true);
    // The week of Monday 2021-01-04 is known on its Sunday, 2021-01-10; the roll-up wins over repos.
    expect(p.series.commits[0]![at('2021-01-10')]).toBe(7);
    expect(p.series.stars[0]![at('2021-01-10')]).toBe(3);
    expect(Number.isNaN(p.series.commits[0]![at('2021-01-09')]!)).toBe(true);
    // The week of 2021-01-11 ends 2021-01-17, after `until`: not read.
    expect(p.series.commits[0]!.filter((v) => v === 9)).toHaveLength(0);
    expect(Number.isNaN(p.series.close[0]![at('2021-01-06')]!)).toBe(true);
  });

  it('a lookback window gives a day exactly the features the whole history gives it', () => {
    const tmp = tempDataDir('ml-window');
    remove = tmp.remove;
    store = openSqlite({ file: `${tmp.dir}/t.sqlite` });
    const now = new Date().toISOString();
    const panel = syntheticPanel({ assets: 14, days: 420, seed: 5 });
    // One asset stops trading for longer than the window and comes back; one lists late.
    for (let t = 150; t < 330; t++) panel.series.close[1]![t] = NaN;
    for (let t = 0; t < 300; t++) panel.series.close[2]![t] = NaN;
    const fin: Record<string, unknown>[] = [];
    const onchain: Record<string, unknown>[] = [];
    const dev: Record<string, unknown>[] = [];
    const llama: Record<string, unknown>[] = [];
    panel.assets.forEach((id, a) => {
      panel.days.forEach((day, t) => {
        const v = (name: keyof typeof panel.series): number | null => (Number.isNaN(panel.series[name][a]![t]!) ? null : panel.series[name][a]![t]!);
        if (v('close') !== null || v('volume') !== null) fin.push({ asset_id: id, day, source: 'bundled', close: v('close'), volume_usd: v('volume'), market_cap: v('mcap'), circulating_supply: v('supply'), updated_at: now });
        if (v('tvl') !== null) onchain.push({ asset_id: id, day, source: 'tokenterminal', tvl: v('tvl'), updated_at: now });
        if (v('commits') !== null) dev.push({ asset_id: id, repo: '*', week_start: addDays(day, -6), source: 'bundled', commits: v('commits'), distinct_authors: v('authors'), updated_at: now });
        // DefiLlama: a protocol series with gaps whose scope changes on day 200.
        if (v('tvl') !== null && t % 11 !== 0) llama.push({ asset_id: id, day, scope: t < 200 ? 'v1' : 'v1+v2', tvl: v('tvl')! * 0.8, tvl_borrowed: v('mcap')! * 0.1, source: 'defillama:test', updated_at: now });
      });
    });
    store.write('crypto_assets', panel.assets.map((id) => ({ asset_id: id, symbol: id, name: id, source: 'test', updated_at: now })), { origin: 'import' });
    store.write('financial_metrics', fin, { origin: 'import' });
    store.write('onchain_metrics', onchain, { origin: 'import' });
    store.write('github_metrics', dev, { origin: 'import' });
    store.write('defillama_protocol_daily', llama, { origin: 'import' });

    const warm = loadWarmPanel(store.db);
    let compared = 0;
    let llamaCompared = 0;
    for (const t of [20, 40, 126, 160, 200, 331, 345, 360, 419]) {
      const day = panel.days[t]!;
      const full = computeFeatures(loadPanel(store.db, { until: day }), { horizon: 30 });
      const windowPanel = loadPanel(store.db, { until: day, from: addDays(day, -FEATURE_LOOKBACK_DAYS) });
      expect(windowPanel.days.length).toBeLessThanOrEqual(FEATURE_LOOKBACK_DAYS + 1);
      // The same window cut from the whole panel kept in memory: the same panel, value for value.
      expect(windowOf(warm, { until: day, from: addDays(day, -FEATURE_LOOKBACK_DAYS) })).toEqual(windowPanel);
      expect(windowOf(warm, { until: day })).toEqual(loadPanel(store.db, { until: day }));
      const d = windowPanel.days.indexOf(day);
      const win = computeFeatures(windowPanel, { horizon: 30, days: { from: d, to: d } });
      const rowsOf = (fs: typeof full): Map<string, number[]> => {
        const out = new Map<string, number[]>();
        for (let r = 0; r < fs.nRows; r++) if (fs.days[fs.rowDay[r]!] === day) out.set(fs.assets[fs.rowAsset[r]!]!, Array.from(fs.X.subarray(r * fs.nFeat, (r + 1) * fs.nFeat)));
        return out;
      };
      const a = rowsOf(full);
      const b = rowsOf(win);
      expect(win.nRows).toBe(b.size);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      // NaN equals NaN here: missing must stay missing in both.
      for (const [asset, x] of a) expect(b.get(asset)).toEqual(x);
      compared += a.size;
      for (const name of ['dl_tvl_change_30', 'dl_borrowed_change_30']) {
        const j = full.names.indexOf(name);
        for (const x of a.values()) if (Number.isFinite(x[j]!)) llamaCompared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
    // The DefiLlama features were known on compared days, so the comparison covers them.
    expect(llamaCompared).toBeGreaterThan(20);
  });
});

describe('DefiLlama features', () => {
  let store: SqliteStore | undefined;
  let remove: (() => void) | undefined;
  afterEach(() => {
    store?.close();
    remove?.();
  });

  const DAYS = 240;
  const START = '2021-01-01';
  const END = 180; // the protocol series' last day, as the bundled series end in 2023-07
  const tvl = (t: number): number => 5e7 * Math.exp(0.01 * t + 0.1 * Math.cos(t / 5));
  const borrowedAll = (t: number): number => 3e7 * Math.exp(0.002 * t);
  const borrowedV3 = (t: number): number => 1e3 * Math.exp(0.05 * t);

  /** P is a protocol with two scopes of its amount borrowed, Q one whose scope label changes. */
  function build(): SqliteStore {
    const tmp = tempDataDir('ml-llama');
    remove = tmp.remove;
    const s = openSqlite({ file: `${tmp.dir}/t.sqlite` });
    const now = new Date().toISOString();
    const ids = ['P', 'Q', 'X', 'Y', 'Z'];
    s.write('crypto_assets', ids.map((id) => ({ asset_id: id, symbol: id, name: id, source: 'test', updated_at: now })), { origin: 'import' });
    const fin: Record<string, unknown>[] = [];
    const llama: Record<string, unknown>[] = [];
    for (let t = 0; t < DAYS; t++) {
      const day = addDays(START, t);
      ids.forEach((id, k) => fin.push({ asset_id: id, day, source: 'bundled', close: 1 + k + Math.sin(t / 9 + k) * 0.3, volume_usd: 1e6, market_cap: 1e8 * (k + 1), updated_at: now }));
      if (t <= END) {
        const row = (scope: string, v: { tvl?: number; tvl_borrowed?: number }): Record<string, unknown> => ({ asset_id: 'P', day, scope, tvl: null, tvl_borrowed: null, ...v, source: 'defillama:test', updated_at: now });
        // TVL under one scope; the amount borrowed over all versions, and from day 50 also V3 alone (smaller).
        llama.push(row('all versions', { tvl: tvl(t), tvl_borrowed: borrowedAll(t) }));
        if (t >= 50) llama.push(row('v3 only', { tvl_borrowed: borrowedV3(t) }));
        // Q: the same quantity under a new scope label from day 100 on.
        llama.push({ asset_id: 'Q', day, scope: t < 100 ? 'label A' : 'label B', tvl: tvl(t) / 2, source: 'defillama:test', updated_at: now });
      }
    }
    s.write('financial_metrics', fin, { origin: 'import' });
    s.write('defillama_protocol_daily', llama, { origin: 'import' });
    return s;
  }

  const value = (fs: FeatureSet, asset: string, t: number, name: string): number => {
    const a = fs.assets.indexOf(asset);
    const j = fs.names.indexOf(name);
    for (let r = 0; r < fs.nRows; r++) if (fs.rowAsset[r] === a && fs.rowDay[r] === t) return fs.X[r * fs.nFeat + j]!;
    throw new Error(`no row for ${asset} on day ${t}`);
  };
  const close = (x: number, y: number): void => expect(Math.abs(x - y)).toBeLessThan(1e-5);

  it('are 30-day changes of the numbers known that day, of one scope at both ends', () => {
    store = build();
    const fs = computeFeatures(loadPanel(store.db), { horizon: 30 });
    close(value(fs, 'P', 120, 'dl_tvl_change_30'), Math.log(tvl(120) / tvl(90)));
    // Two scopes on one day: the broadest (largest) number, compared with the same scope 30 days back.
    close(value(fs, 'P', 60, 'dl_borrowed_change_30'), Math.log(borrowedAll(60) / borrowedAll(30)));
    // A new scope label is not spliced onto the old one: missing until both ends share it.
    for (const t of [100, 115, 129]) expect(value(fs, 'Q', t, 'dl_tvl_change_30')).toBeNaN();
    close(value(fs, 'Q', 99, 'dl_tvl_change_30'), Math.log(tvl(99) / tvl(69)));
    close(value(fs, 'Q', 130, 'dl_tvl_change_30'), Math.log(tvl(130) / tvl(100)));
    // Assets without DefiLlama data: missing, with the family indicator saying so.
    expect(value(fs, 'X', 120, 'dl_tvl_change_30')).toBeNaN();
    expect(value(fs, 'X', 120, 'dl_borrowed_change_30')).toBeNaN();
    expect(value(fs, 'X', 120, 'has_defillama')).toBe(0);
    expect(value(fs, 'P', 120, 'has_defillama')).toBe(1);
    expect(Number.isFinite(value(fs, 'P', 120, 'rank_dl_tvl_change_30'))).toBe(true);
  });

  it('turn missing once the series has ended longer than the staleness limit, never carried forward', () => {
    store = build();
    const fs = computeFeatures(loadPanel(store.db), { horizon: 30 });
    for (let k = 0; k <= DEFILLAMA_STALE_DAYS; k++) {
      // Within the limit the last number stands, against the number 30 days before the day.
      close(value(fs, 'P', END + k, 'dl_tvl_change_30'), Math.log(tvl(END) / tvl(END + k - 30)));
      expect(Number.isFinite(value(fs, 'P', END + k, 'dl_borrowed_change_30'))).toBe(true);
    }
    for (let t = END + DEFILLAMA_STALE_DAYS + 1; t < DAYS; t++) {
      expect(value(fs, 'P', t, 'dl_tvl_change_30')).toBeNaN();
      expect(value(fs, 'P', t, 'dl_borrowed_change_30')).toBeNaN();
      expect(value(fs, 'Q', t, 'dl_tvl_change_30')).toBeNaN();
    }
    for (let t = END + DEFILLAMA_STALE_DAYS + 1; t < DAYS; t++) expect(value(fs, 'P', t, 'has_defillama')).toBe(0);
  });

  it('never look ahead: changing DefiLlama rows after a day changes no feature at or before it', () => {
    store = build();
    const cutoff = 150;
    const before = computeFeatures(loadPanel(store.db), { horizon: 30 });
    const day = addDays(START, cutoff);
    const now = new Date().toISOString();
    store.db.prepare("UPDATE defillama_protocol_daily SET tvl = tvl * 3, tvl_borrowed = tvl_borrowed / 2 WHERE day > ?").run(day);
    // A broader scope appears the very next day.
    store.write('defillama_protocol_daily', [{ asset_id: 'P', day: addDays(day, 1), scope: 'everything', tvl: 1e12, tvl_borrowed: 1e12, source: 'defillama:test', updated_at: now }], { origin: 'import' });
    const after = computeFeatures(loadPanel(store.db), { horizon: 30 });
    expect(after.nRows).toBe(before.nRows);
    let compared = 0;
    let changedLater = 0;
    for (let r = 0; r < before.nRows; r++) {
      expect(after.rowAsset[r]).toBe(before.rowAsset[r]);
      expect(after.rowDay[r]).toBe(before.rowDay[r]);
      for (let j = 0; j < before.nFeat; j++) {
        const x = before.X[r * before.nFeat + j]!;
        const y = after.X[r * after.nFeat + j]!;
        if (before.rowDay[r]! <= cutoff) {
          if (!same(x, y)) throw new Error(`feature ${before.names[j]} of ${before.assets[before.rowAsset[r]!]} on day ${before.rowDay[r]} changed`);
          if (before.names[j]!.includes('dl_')) compared++;
        } else if (!same(x, y)) changedLater++;
      }
    }
    expect(compared).toBeGreaterThan(500);
    // The change did reach the days after the cutoff, so the comparison could have failed.
    expect(changedLater).toBeGreaterThan(50);
  });

  it('every feature has a plain label, never its key', () => {
    const fs = computeFeatures(syntheticPanel({ assets: 4, days: 60 }), { horizon: 30 });
    for (const name of fs.names) {
      expect(isKnownFeature(name), name).toBe(true);
      expect(featureLabel(name)).not.toMatch(/_/);
    }
  });
});
