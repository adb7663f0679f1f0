/** The ui domain's read models and user data, against real services on the bundled dataset. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import type { Row } from '../../src/main/services/storage/sqlite';
import { createTestServices } from '../helpers/app';

let services: Services;
let cleanup: () => Promise<void>;
const writes: { table: string; rows: readonly Row[] }[] = [];

const all = <T>(sql: string, ...params: unknown[]): T[] => services.core.store.db.prepare(sql).all(...params) as T[];
const one = <T>(sql: string, ...params: unknown[]): T => services.core.store.db.prepare(sql).get(...params) as T;

beforeAll(async () => {
  ({ services, cleanup } = await createTestServices());
  services.core.store.addWriteHook((table, rows) => writes.push({ table, rows }));
});
afterAll(async () => cleanup());

function closeOn(asset: string, day: string): number | null {
  return one<{ close: number } | undefined>(`SELECT close FROM financial_metrics WHERE asset_id = ? AND day = ? AND close IS NOT NULL ORDER BY CASE source WHEN 'bundled' THEN 1 ELSE 0 END LIMIT 1`, asset, day)?.close ?? null;
}
const minusDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

describe('ui.overview', () => {
  it('lists every priced asset with values that match the database', async () => {
    const o = await services.client.call('ui.overview', {});
    const priced = one<{ n: number }>('SELECT count(DISTINCT asset_id) AS n FROM financial_metrics WHERE close IS NOT NULL').n;
    expect(o.total).toBe(priced);
    expect(o.rows).toHaveLength(priced);
    expect(o.asOf).toBe(one<{ d: string }>('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').d);
    expect(o.scored).toBe(false);

    for (const symbol of ['AAVE', 'UNI', 'QUICK', 'BTC']) {
      const r = o.rows.find((x) => x.assetId === symbol)!;
      const last = one<{ d: string }>('SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL', symbol).d;
      expect(r.lastDay).toBe(last);
      expect(r.price).toBe(closeOn(symbol, last));
      // 7 days back, or the latest close within the week before that.
      const back = one<{ close: number } | undefined>('SELECT close FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL AND day <= ? AND day >= ? ORDER BY day DESC LIMIT 1', symbol, minusDays(last, 7), minusDays(last, 14));
      if (back) expect(r.return7d).toBeCloseTo(r.price! / back.close - 1, 12);
      else expect(r.return7d).toBeNull();
    }
    const aave = o.rows.find((x) => x.assetId === 'AAVE')!;
    // The latest TVL of any source, with that source and its scope: never a mix of two sources.
    const tvl = one<{ day: string; tvl: number; source: string; scope: string | null }>(
      `SELECT day, tvl, source, NULL AS scope FROM onchain_metrics WHERE asset_id = 'AAVE' AND tvl IS NOT NULL
       UNION ALL SELECT day, tvl, source, scope FROM defillama_protocol_daily WHERE asset_id = 'AAVE' AND tvl IS NOT NULL ORDER BY day DESC LIMIT 1`,
    );
    expect([aave.tvlDay, aave.tvl, aave.tvlSource, aave.tvlScope]).toEqual([tvl.day, tvl.tvl, tvl.source, tvl.scope]);
    const week = one<{ w: string }>(`SELECT MAX(week_start) AS w FROM github_metrics WHERE asset_id = 'AAVE' AND repo = '*'`).w;
    const commits = one<{ c: number }>(`SELECT SUM(commits) AS c FROM github_metrics WHERE asset_id = 'AAVE' AND repo = '*' AND week_start > ?`, minusDays(week, 84)).c;
    expect(aave.devWeek).toBe(week);
    expect(aave.commits12w).toBe(commits);
    expect(aave.chains).toEqual(['polygon', 'ethereum']);
    // Registry contracts of 'Aave v2'/'Aave v3' belong to AAVE by protocol name.
    expect(aave.contracts).toBe(one<{ n: number }>(`SELECT count(*) AS n FROM smart_contracts WHERE protocol LIKE 'Aave %'`).n);
  });

  it('marks every value stale against the dataset end, with its own day', async () => {
    const o = await services.client.call('ui.overview', {});
    const end = o.asOf!;
    expect(o.staleAfterDays).toBe(30);
    const cutoff = minusDays(end, 30);
    // Asset-level: market data that ended before the window (delisted or no longer listed).
    const staleIds = all<{ asset_id: string; d: string }>('SELECT asset_id, MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL GROUP BY asset_id HAVING MAX(day) < ?', cutoff);
    expect(staleIds.length).toBeGreaterThan(0);
    expect(o.staleAssets).toBe(staleIds.length);
    for (const { asset_id, d } of staleIds) expect(o.rows.find((r) => r.assetId === asset_id)?.staleSince).toBe(d);
    for (const r of o.rows) if (!staleIds.some((x) => x.asset_id === r.assetId)) expect(r.staleSince).toBeNull();
    // A value-level as-of: SUSHI is priced to the end, but its TVL is Token Terminal's last day.
    const sushi = o.rows.find((r) => r.assetId === 'SUSHI')!;
    const sushiTvl = one<{ d: string }>(`SELECT MAX(day) AS d FROM onchain_metrics WHERE asset_id = 'SUSHI' AND tvl IS NOT NULL`).d;
    expect(sushi.staleSince).toBeNull();
    expect([sushi.tvlDay, sushi.tvlStale, sushi.tvlSource]).toEqual([sushiTvl, true, 'tokenterminal']);
    // Each row's flags follow its own days.
    for (const r of o.rows) {
      expect(r.tvlStale).toBe(r.tvlDay !== null && r.tvlDay < cutoff);
      expect(r.revenueStale).toBe(r.revenueDay !== null && r.revenueDay < cutoff);
    }
    // A stricter threshold marks more, a looser one fewer.
    const loose = await services.client.call('ui.overview', { staleAfterDays: 3650 });
    expect(loose.staleAssets).toBe(0);
  });

  it('pages', async () => {
    const full = await services.client.call('ui.overview', {});
    const page = await services.client.call('ui.overview', { limit: 10, offset: 20 });
    expect(page.total).toBe(full.total);
    expect(page.rows.map((r) => r.assetId)).toEqual(full.rows.slice(20, 30).map((r) => r.assetId));
    await expect(services.client.call('ui.overview', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('shows the ensemble score and the lowest audit score once they exist', async () => {
    const now = new Date().toISOString();
    // The versions' registry rows: predictions of a version the registry does not hold (yet) are never shown.
    const model = { created_at: now, status: 'ready', horizon_days: 30, data_from: '2021-01-01', data_until: '2024-06-30', train_from: '2021-01-01', train_to: '2024-05-01', train_rows: 1, features: '[]', params: '{}', metrics: '{}', artefacts: '{}', backend: 'test', duration_ms: 1 };
    services.core.store.write('ml_models', [{ ...model, version: 'mtest-1' }, { ...model, version: 'mold-0' }]);
    services.core.store.write('ml_predictions', [
      // As the model registry stores them: the ensemble under the version, each model under `<version>:<model>`.
      { asset_id: 'UNI', day: '2024-06-29', model_version: 'mtest-1', score: 40, confidence: 0.5, prediction: 0.01, contributions: '[{"feature":"momentum_30d","value":0.1,"contribution":0.2}]', created_at: now },
      { asset_id: 'UNI', day: '2024-06-30', model_version: 'mtest-1', score: 81, confidence: 0.7, prediction: 0.03, contributions: '[{"feature":"momentum_30d","value":0.2,"contribution":0.4},{"feature":"tvl_growth","value":null,"contribution":-0.1}]', created_at: now },
      { asset_id: 'UNI', day: '2024-06-30', model_version: 'mtest-1:ridge', score: null, confidence: null, prediction: 0.02, contributions: 'not json', created_at: now },
      // An older version with a later-looking score must not win over the newest scores... unless it is the champion.
      { asset_id: 'UNI', day: '2024-06-20', model_version: 'mold-0', score: 10, confidence: 0.2, prediction: -0.02, contributions: null, created_at: now },
    ]);
    const uniContract = one<{ chain_id: number; address: string }>(`SELECT chain_id, address FROM smart_contracts WHERE protocol LIKE 'Uniswap%' LIMIT 1`);
    services.core.store.write('smart_contracts', [{ ...uniContract, audit_score: 55, audited_at: now, updated_at: now }]);
    const o = await services.client.call('ui.overview', {});
    const uni = o.rows.find((r) => r.assetId === 'UNI')!;
    expect(o.scored).toBe(true);
    expect([uni.score, uni.confidence, uni.scoreDay]).toEqual([81, 0.7, '2024-06-30']);
    expect(uni.auditScore).toBe(55);

    const models = await services.client.call('ui.models', { assetId: 'UNI' });
    expect(models.map((m) => m.modelVersion)).toEqual(['mold-0', 'mtest-1', 'mtest-1:ridge']);
    expect(models[1]!.contributions).toEqual({ momentum_30d: 0.4, tvl_growth: -0.1 });
    expect(models[2]).toMatchObject({ score: null, prediction: 0.02, contributions: {} });

    const history = await services.client.call('ui.series', { assetId: 'UNI', family: 'score' });
    expect(history.days).toEqual(['2024-06-29', '2024-06-30']);
    expect(history.series[0]!.values).toEqual([40, 81]);

    // The registry's champion is what the overview shows, however old its scores.
    services.core.store.write('ml_settings', [{ key: 'ab', value: JSON.stringify({ champion: 'mold-0', challenger: 'mtest-1' }), updated_at: now }]);
    const withChampion = (await services.client.call('ui.overview', {})).rows.find((r) => r.assetId === 'UNI')!;
    expect([withChampion.score, withChampion.scoreDay]).toEqual([10, '2024-06-20']);
    services.core.store.write('ml_settings', [{ key: 'ab', value: JSON.stringify({ champion: 'mtest-1', challenger: null }), updated_at: now }]);
  });
});

describe('ui.series', () => {
  it('returns the full daily market history when it fits', async () => {
    const rows = all<{ day: string; close: number | null }>(`SELECT day, close FROM financial_metrics WHERE asset_id = 'AAVE' ORDER BY day`);
    const s = await services.client.call('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 5000 });
    expect(s.downsampled).toBe(false);
    expect(s.total).toBe(rows.length);
    expect(s.days).toEqual(rows.map((r) => r.day));
    expect(s.series.find((x) => x.key === 'close')!.values).toEqual(rows.map((r) => r.close));
  });

  it('downsamples to maxPoints keeping the first, last, highest and lowest points', async () => {
    const rows = all<{ day: string; close: number }>(`SELECT day, close FROM financial_metrics WHERE asset_id = 'BTC' AND close IS NOT NULL ORDER BY day`);
    const s = await services.client.call('ui.series', { assetId: 'BTC', family: 'market', maxPoints: 100 });
    expect(s.downsampled).toBe(true);
    expect(s.total).toBe(rows.length);
    expect(s.days.length).toBeLessThanOrEqual(100);
    expect(s.days.length).toBeGreaterThan(50);
    const closes = s.series[0]!.values as number[];
    expect(Math.max(...closes)).toBe(Math.max(...rows.map((r) => r.close)));
    expect(Math.min(...closes)).toBe(Math.min(...rows.map((r) => r.close)));
    expect(s.days[0]).toBe(rows[0]!.day);
    expect(s.days[s.days.length - 1]).toBe(rows[rows.length - 1]!.day);
    expect([...s.days].sort()).toEqual(s.days);
  });

  it('bounds by day and reads TVL and weekly development', async () => {
    const s = await services.client.call('ui.series', { assetId: 'AAVE', family: 'tvl', from: '2021-01-01', to: '2021-01-31' });
    const rows = all<{ day: string; tvl: number | null }>(`SELECT day, tvl FROM onchain_metrics WHERE asset_id = 'AAVE' AND day BETWEEN '2021-01-01' AND '2021-01-31' AND (tvl IS NOT NULL OR revenue IS NOT NULL) ORDER BY day`);
    expect(s.days).toEqual(rows.map((r) => r.day));
    expect(s.series[0]!.values).toEqual(rows.map((r) => r.tvl));
    const dev = await services.client.call('ui.series', { assetId: 'AAVE', family: 'development', maxPoints: 5000 });
    const weeks = all<{ week_start: string; commits: number }>(`SELECT week_start, commits FROM github_metrics WHERE asset_id = 'AAVE' AND repo = '*' ORDER BY week_start`);
    expect(dev.days).toEqual(weeks.map((w) => w.week_start));
    expect(dev.series[0]!.values).toEqual(weeks.map((w) => w.commits));
    const onchain = await services.client.call('ui.series', { assetId: 'AAVE', family: 'onchain' });
    expect(onchain.total).toBe(0);
  });

  it('answers the last N days up to the asset’s own last market day without being told that day', async () => {
    for (const asset of ['AAVE', 'MPL']) {
      const last = one<{ d: string }>('SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL', asset).d;
      const from = minusDays(last, 90);
      const byDays = await services.client.call('ui.series', { assetId: asset, family: 'market', lastDays: 91 });
      const byBounds = await services.client.call('ui.series', { assetId: asset, family: 'market', from, to: last });
      expect([byDays.from, byDays.to]).toEqual([from, last]);
      expect(byDays.days).toEqual(byBounds.days);
      expect(byDays.series).toEqual(byBounds.series);
      expect(byDays.days[0]! >= from && byDays.days.at(-1) === last).toBe(true);
    }
    // The TVL family is bounded by the asset's market day too (the charts line up), so a 2022 TVL is outside AAVE's last 91 days.
    expect((await services.client.call('ui.series', { assetId: 'AAVE', family: 'tvl', lastDays: 91 })).total).toBe(0);
    const open = await services.client.call('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 10 });
    expect([open.from, open.to]).toEqual([null, null]);
    await expect(services.client.call('ui.series', { assetId: 'AAVE', family: 'market', lastDays: 30, from: '2021-01-01' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('rejects an unknown asset and a malformed day', async () => {
    await expect(services.client.call('ui.series', { assetId: 'NOPE', family: 'market' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(services.client.call('ui.series', { assetId: 'AAVE', family: 'market', from: '2021-13-01' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('ui.contracts and ui.competitors', () => {
  it('lists the asset’s contracts and its competitors with their metrics', async () => {
    const contracts = await services.client.call('ui.contracts', { assetId: 'AAVE' });
    expect(contracts.length).toBeGreaterThan(0);
    expect(contracts.every((c) => c.protocol?.startsWith('Aave'))).toBe(true);
    const now = new Date().toISOString();
    services.core.store.write('competitor_analysis', [
      { asset_id: 'AAVE', competitor_id: 'COMP', method: 'embedding', similarity: 0.91, computed_at: now },
      { asset_id: 'AAVE', competitor_id: 'MKR', method: 'embedding', similarity: 0.72, computed_at: now },
    ]);
    const comps = await services.client.call('ui.competitors', { assetId: 'AAVE', limit: 50 });
    // The best similarity of any method per peer (here the written one beats the import's TF-IDF).
    const sim = new Map(comps.map((c) => [c.row.assetId, c.similarity]));
    expect(sim.get('COMP')).toBe(0.91);
    expect(sim.get('MKR')).toBe(0.72);
    // Category peers too: every priced asset of AAVE's DefiLlama category, listed first.
    const cat = one<{ c: string }>(`SELECT defillama_category AS c FROM crypto_assets WHERE asset_id = 'AAVE'`).c;
    const sameCat = all<{ asset_id: string }>(
      `SELECT asset_id FROM crypto_assets WHERE coalesce(defillama_category, category) = ? AND asset_id <> 'AAVE'
         AND asset_id IN (SELECT asset_id FROM financial_metrics WHERE close IS NOT NULL)`,
      cat,
    ).map((r) => r.asset_id);
    expect(comps.filter((c) => c.sameCategory).map((c) => c.row.assetId).sort()).toEqual(sameCat.sort());
    const firstOther = comps.findIndex((c) => !c.sameCategory);
    if (firstOther >= 0) expect(comps.slice(firstOther).every((c) => !c.sameCategory)).toBe(true);
    const comp = (await services.client.call('ui.overview', {})).rows.find((r) => r.assetId === 'COMP');
    expect(comps.find((c) => c.row.assetId === 'COMP')!.row).toEqual(comp);
  });
});

describe('user data', () => {
  it('watches and unwatches with HLC-stamped tombstones through store.write', async () => {
    writes.length = 0;
    await services.client.call('ui.watch', { assetId: 'AAVE', watched: true });
    await services.client.call('ui.watch', { assetId: 'UNI', watched: true });
    expect((await services.client.call('ui.watchlist', {})).map((w) => w.assetId)).toEqual(['AAVE', 'UNI']);
    const before = one<{ hlc: string }>(`SELECT hlc FROM watchlist_items WHERE asset_id = 'AAVE'`).hlc;
    await services.client.call('ui.watch', { assetId: 'AAVE', watched: false });
    const after = one<{ hlc: string; deleted: number }>(`SELECT hlc, deleted FROM watchlist_items WHERE asset_id = 'AAVE'`);
    expect(after.deleted).toBe(1);
    expect(after.hlc > before).toBe(true);
    expect((await services.client.call('ui.watchlist', {})).map((w) => w.assetId)).toEqual(['UNI']);
    expect(writes.filter((w) => w.table === 'watchlist_items')).toHaveLength(3);
    // The sync outbox queued the change in the same write (one entry per natural key).
    expect(all<{ key: string }>(`SELECT key FROM sync_outbox WHERE tbl = 'watchlist_items' ORDER BY key`).map((r) => r.key)).toEqual(['["default","AAVE"]', '["default","UNI"]']);
    // Another list is separate.
    expect(await services.client.call('ui.watchlist', { name: 'defi' })).toEqual([]);
    await expect(services.client.call('ui.watch', { assetId: 'NOPE', watched: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(one<{ n: number }>(`SELECT count(*) AS n FROM watchlist_items WHERE asset_id = 'NOPE'`).n).toBe(0);
  });

  it('creates, edits and deletes notes', async () => {
    const n = await services.client.call('ui.noteSave', { assetId: 'AAVE', body: '  first look  ' });
    expect(n.body).toBe('first look');
    const edited = await services.client.call('ui.noteSave', { noteId: n.noteId, assetId: 'AAVE', body: 'second look' });
    expect(edited.createdAt).toBe(n.createdAt);
    expect((await services.client.call('ui.notes', { assetId: 'AAVE' })).map((x) => x.body)).toEqual(['second look']);
    await expect(services.client.call('ui.noteSave', { noteId: n.noteId, assetId: 'UNI', body: 'moved' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(services.client.call('ui.noteSave', { assetId: 'AAVE', body: '   ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await services.client.call('ui.noteDelete', { noteId: n.noteId })).toEqual({ deleted: true });
    expect(await services.client.call('ui.noteDelete', { noteId: n.noteId })).toEqual({ deleted: false });
    expect(await services.client.call('ui.notes', { assetId: 'AAVE' })).toEqual([]);
    expect(one<{ deleted: number }>('SELECT deleted FROM notes WHERE note_id = ?', n.noteId).deleted).toBe(1);
    await expect(services.client.call('ui.noteSave', { noteId: n.noteId, assetId: 'AAVE', body: 'revive' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('validates alert rules and fires them from the data', async () => {
    await expect(services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'score_above', threshold: 140 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'price_move' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(one<{ n: number }>('SELECT count(*) AS n FROM alert_rules').n).toBe(0);

    const [d1, d0] = all<{ day: string }>(`SELECT day FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL ORDER BY day DESC LIMIT 2`).map((r) => r.day);
    const move = closeOn('AAVE', d1!)! / closeOn('AAVE', d0!)! - 1;
    const fires = await services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'price_move', threshold: Math.abs(move) / 2 });
    const quiet = await services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'price_move', threshold: Math.abs(move) * 2 });
    // UNI's ensemble score went 40 -> 81 (written above): crossing 70 upwards fires, 90 does not.
    const crossed = await services.client.call('ui.alertRuleSave', { assetId: 'UNI', kind: 'score_above', threshold: 70 });
    await services.client.call('ui.alertRuleSave', { assetId: 'UNI', kind: 'score_above', threshold: 90 });
    const off = await services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'price_move', threshold: Math.abs(move) / 3, enabled: false });

    const alerts = await services.client.call('ui.alerts', {});
    expect(alerts.map((a) => a.ruleId).sort()).toEqual([fires.ruleId, crossed.ruleId].sort());
    expect(alerts.find((a) => a.ruleId === fires.ruleId)).toMatchObject({ key: `${fires.ruleId}:${d1}`, day: d1, kind: 'price_move' });
    expect(alerts.find((a) => a.ruleId === crossed.ruleId)!.message).toContain('81');

    expect(await services.client.call('ui.alertRuleDelete', { ruleId: quiet.ruleId })).toEqual({ deleted: true });
    // A high-severity finding stored for one of AAVE's registry contracts (protocol 'Aave v3').
    const audit = await services.client.call('ui.alertRuleSave', { assetId: 'AAVE', kind: 'audit_high', threshold: 5 });
    expect(audit.threshold).toBeNull();
    expect((await services.client.call('ui.alerts', {})).some((a) => a.ruleId === audit.ruleId)).toBe(false);
    const pool = one<{ chain_id: number; address: string }>(`SELECT chain_id, address FROM smart_contracts WHERE protocol = 'Aave v3' ORDER BY address LIMIT 1`);
    const now = new Date().toISOString();
    const finding = { ...pool, detector: 'tx-origin', swc: 'SWC-115', category: 'access_control', confidence: 'high', title: 'Authorisation through tx.origin', source_hash: 'h', detector_version: 'v', audited_at: now };
    services.core.store.write('audit_findings', [
      { ...finding, finding_key: 'k-high', severity: 'high' },
      { ...finding, finding_key: 'k-low', severity: 'low', title: 'Floating pragma' },
    ]);
    const fired = (await services.client.call('ui.alerts', {})).filter((a) => a.ruleId === audit.ruleId);
    expect(fired.map((a) => [a.key, a.day])).toEqual([[`${audit.ruleId}:${pool.chain_id}:${pool.address}:k-high`, now.slice(0, 10)]]);
    expect(fired[0]!.message).toContain('Authorisation through tx.origin');
    expect((await services.client.call('ui.alertRules', { assetId: 'AAVE' })).map((r) => r.ruleId).sort()).toEqual([fires.ruleId, off.ruleId, audit.ruleId].sort());

    const updated = await services.client.call('ui.alertRuleSave', { ruleId: off.ruleId, assetId: 'AAVE', kind: 'price_move', threshold: Math.abs(move) / 3, enabled: true });
    expect(updated.createdAt).toBe(off.createdAt);
    expect((await services.client.call('ui.alerts', {})).some((a) => a.ruleId === off.ruleId)).toBe(true);
  });
});

describe('one asset’s rows and every asset’s', () => {
  it('reads an asset’s row as the overview does, and again after a write', async () => {
    const { overview, overviewRowsFor } = await import('../../src/main/services/ui/overview');
    const store = services.core.store;
    const listed = overview(store, { includeUnpriced: false, limit: 1000, offset: 0 }).rows;
    const ids = listed.slice(0, 5).map((r) => r.assetId);
    const some = overviewRowsFor(store, ids);
    expect([...some.values()]).toEqual(listed.filter((r) => ids.includes(r.assetId)));
    // A later TVL day written for one of them shows at once, in its row and the overview's.
    const id = ids[0]!;
    const day = '2099-01-01';
    store.write('onchain_metrics', [{ asset_id: id, day, source: 'test', tvl: 123_456_789, updated_at: new Date().toISOString() }], { origin: 'import' });
    try {
      expect(overviewRowsFor(store, [id]).get(id)).toMatchObject({ tvl: 123_456_789, tvlDay: day, tvlSource: 'test' });
      expect(overview(store, { includeUnpriced: false, limit: 1000, offset: 0 }).rows.find((r) => r.assetId === id)).toMatchObject({ tvl: 123_456_789, tvlDay: day });
    } finally {
      store.db.prepare(`DELETE FROM onchain_metrics WHERE source = 'test'`).run();
    }
    expect(overviewRowsFor(store, [id]).get(id)?.tvlDay).not.toBe(day);
  });
});
