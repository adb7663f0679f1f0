/**
 * The ml domain on real services and the bundled dataset: training in the worker thread with
 * progress and cancellation, the registry, scoring (stored, in-sample guard), history, A/B with
 * realised IC, and scheduled retraining. Small model settings keep it quick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayDiff } from '../../src/main/services/ml/math';
import { createMlDomain } from '../../src/main/services/ml';
import { loadPanel, loadWarmPanel } from '../../src/main/services/ml/panel';
import { scoreDayFromDb, scoreDayFromWarm, scorePanel, type Artefacts } from '../../src/main/services/ml/pipeline';
import { storedScores } from '../../src/main/services/ml/registry';
import type { Services } from '../../src/main/services';
import { createTestServices } from '../helpers/app';

const SMALL = { folds: 2, trainStride: 10, gbmIterations: 15, rfTrees: 6, nnEpochs: 1 };

describe('ml domain', () => {
  let services: Services;
  let cleanup: () => Promise<void>;
  let first = '';

  beforeAll(async () => {
    ({ services, cleanup } = await createTestServices());
  }, 120_000);
  afterAll(async () => {
    await cleanup();
  });

  const modelCount = (): number => (services.core.store.db.prepare('SELECT count(*) AS n FROM ml_models').get() as { n: number }).n;

  // Trains a model: minutes on a loaded two-core machine.
  it('trains off the main thread with progress, validates with a purge gap and stores the version', { timeout: 240_000 }, async () => {
    const events: { done: number; total: number | null; finished: boolean }[] = [];
    const off = services.client.on('progress', (p) => {
      if (p.kind === 'ml.train') events.push({ done: p.done, total: p.total, finished: p.finished });
    });
    const m = await services.client.call('ml.train', { until: '2021-12-31', ...SMALL });
    off();
    first = m.version;
    expect(m.role).toBe('champion');
    expect(m.dataUntil <= '2021-12-31').toBe(true);
    expect(dayDiff(m.trainTo, m.dataUntil)).toBeGreaterThanOrEqual(30);
    expect(m.features.length).toBeGreaterThan(20);
    expect(m.metrics.ensemble.dates).toBeGreaterThan(50);
    expect(m.chance.meanIc).not.toBeNull();
    expect(events.length).toBeGreaterThan(2);
    expect(events[events.length - 1]!.finished).toBe(true);
    expect(events.some((e) => e.total !== null && e.done > 0)).toBe(true);

    const detail = await services.client.call('ml.model', { version: m.version });
    expect(detail.folds).toHaveLength(2);
    for (const f of detail.folds) expect(dayDiff(f.trainEnd, f.valStart)).toBeGreaterThan(30);
    expect(detail.icSeries.ensemble.length).toBe(m.metrics.ensemble.dates);
    expect(detail.importance.ensemble.length).toBe(m.features.length);
    expect(detail.reliability).toHaveLength(3);
    expect(detail.dropped).toContain('log_active_7');
    expect((await services.client.call('ml.models', {})).map((x) => x.version)).toEqual([m.version]);
  });

  it('scores a later day, stores it, and refuses to store an in-sample day', async () => {
    const res = await services.client.call('ml.score', { day: '2022-01-10' });
    expect(res.modelVersion).toBe(first);
    expect(res.inSample).toBe(false);
    expect(res.assets.length).toBeGreaterThan(20);
    for (const a of res.assets) {
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(100);
      expect(a.contributions.length).toBeGreaterThan(0);
    }
    expect(res.assets[0]!.score).toBe(100);
    const again = await services.client.call('ml.score', { day: '2022-01-10' });
    expect(again.assets.map((a) => [a.assetId, a.score, a.models.gbm])).toEqual(res.assets.map((a) => [a.assetId, a.score, a.models.gbm]));
    const stored = services.core.store.db.prepare("SELECT count(*) AS n FROM ml_predictions WHERE model_version = ? AND day = '2022-01-10'").get(`${first}:gbm`) as { n: number };
    expect(stored.n).toBe(res.assets.length);

    const inside = await services.client.call('ml.score', { day: '2021-06-01', limit: 5 });
    expect(inside.inSample).toBe(true);
    expect(inside.assets).toHaveLength(5);
    const kept = services.core.store.db.prepare("SELECT count(*) AS n FROM ml_predictions WHERE model_version = ? AND day = '2021-06-01' AND contributions IS NOT NULL").get(first) as { n: number };
    expect(kept.n).toBe(0);

    const hist = await services.client.call('ml.scoreHistory', { assetId: 'ETH' });
    expect(hist.points.filter((p) => p.kind === 'validation').length).toBeGreaterThan(5);
    // Training scored the last day of its data; scoring added 2022-01-10.
    expect(hist.points.filter((p) => p.kind === 'live').map((p) => p.day)).toEqual(['2021-12-31', '2022-01-10']);
  });

  it('scores from the panel kept in memory what the database window and the stored scores give', async () => {
    const db = services.core.store.db;
    const art = JSON.parse((db.prepare('SELECT artefacts FROM ml_models WHERE version = ?').get(first) as { artefacts: string }).artefacts) as Artefacts;
    // Several days on one data version: the first reads its window, the later ones come from memory.
    for (const day of ['2021-03-01', '2021-04-15', '2021-07-20', '2021-10-05']) {
      const res = await services.client.call('ml.score', { day });
      const fromDb = scoreDayFromDb(db, art, day).sort((x, y) => y.score - x.score || x.assetId.localeCompare(y.assetId));
      expect(res.assets.length).toBeGreaterThan(20);
      // The answer names the day once, not per asset.
      expect(res.assets).toEqual(fromDb.map((a) => ({ ...a, day: undefined })));
    }
    // The day training scored and stored: computed again from memory, the stored answer.
    const stored = storedScores(services.core.store, first, '2021-12-31')!;
    expect(stored.length).toBeGreaterThan(20);
    const again = scoreDayFromWarm(loadWarmPanel(db), art, '2021-12-31');
    const byAsset = new Map(again.map((s) => [s.assetId, s]));
    for (const s of stored) {
      const c = byAsset.get(s.assetId)!;
      expect([c.score, c.confidence, c.prediction, c.models, c.contributions]).toEqual([s.score, s.confidence, s.prediction, s.models, s.contributions]);
    }
  });

  it('keeps each version and day scored (in-sample days too, flagged) until the data changes, with the scores the whole history gives', async () => {
    let computed = 0;
    const off = services.client.on('progress', (p) => {
      if (p.kind === 'ml.score' && p.finished) computed++;
    });
    const day = '2021-09-01';
    const a = await services.client.call('ml.score', { day });
    expect(a.inSample).toBe(true);
    const b = await services.client.call('ml.score', { day });
    expect(b).toEqual(a);
    expect(computed).toBe(1);
    // The same scores as loading the whole history up to that day.
    const db = services.core.store.db;
    const art = JSON.parse((db.prepare('SELECT artefacts FROM ml_models WHERE version = ?').get(first) as { artefacts: string }).artefacts) as Artefacts;
    const full = scorePanel(loadPanel(db, { until: day }), art, day);
    const byAsset = new Map(full.map((s) => [s.assetId, s]));
    expect(a.assets).toHaveLength(full.length);
    for (const s of a.assets) {
      const f = byAsset.get(s.assetId)!;
      expect([s.score, s.confidence, s.prediction, s.models]).toEqual([f.score, f.confidence, f.prediction, f.models]);
    }
    // New data for a day the features read: computed again, and the changed price shows.
    const top = a.assets[0]!;
    const row = db.prepare("SELECT * FROM financial_metrics WHERE asset_id = ? AND day = ? AND close IS NOT NULL").get(top.assetId, day) as Record<string, unknown>;
    services.core.store.write('financial_metrics', [{ ...row, source: 'cachetest', close: (row.close as number) * 3 }]);
    const c = await services.client.call('ml.score', { day });
    expect(computed).toBe(2);
    expect(c.assets.find((s) => s.assetId === top.assetId)!.contributions).not.toEqual(top.contributions);
    db.prepare("DELETE FROM financial_metrics WHERE source = 'cachetest'").run();
    off();
  });

  // Trains a model: minutes on a loaded two-core machine.
  it('runs an A/B test: the challenger scores beside the champion and realised IC is tracked', { timeout: 240_000 }, async () => {
    const second = await services.client.call('ml.train', { until: '2021-12-31', ...SMALL, trainStride: 9 });
    expect(second.role).toBe('challenger');
    await services.client.call('ml.score', { day: '2022-02-01' });
    const challengerRows = services.core.store.db.prepare("SELECT count(*) AS n FROM ml_predictions WHERE model_version = ? AND day = '2022-02-01'").get(second.version) as { n: number };
    expect(challengerRows.n).toBeGreaterThan(20);
    const ab = await services.client.call('ml.abStatus', {});
    expect(ab.champion).toBe(first);
    expect(ab.challenger).toBe(second.version);
    const champ = ab.versions.find((v) => v.role === 'champion')!;
    const chall = ab.versions.find((v) => v.role === 'challenger')!;
    expect(champ.realised.series.map((p) => p.day)).toEqual(['2021-12-31', '2022-01-10', '2022-02-01']);
    expect(chall.realised.series.map((p) => p.day)).toEqual(['2021-12-31', '2022-02-01']);
    expect(champ.realised.days).toBe(3);
    for (const p of [...champ.realised.series, ...chall.realised.series]) {
      expect(p.ic).not.toBeNull();
      expect(Math.abs(p.ic!)).toBeLessThanOrEqual(1);
      expect(p.assets).toBeGreaterThan(20);
    }
    const swapped = await services.client.call('ml.abSet', { champion: second.version, challenger: first });
    expect(swapped.champion).toBe(second.version);
    const roles = Object.fromEntries((await services.client.call('ml.models', {})).map((m) => [m.version, m.role]));
    expect(roles).toEqual({ [first]: 'challenger', [second.version]: 'champion' });
    await expect(services.client.call('ml.abSet', { champion: first, challenger: first })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await services.client.call('ml.abSet', { champion: first, challenger: null });
  });

  it('rejects bad input clearly and writes nothing', async () => {
    const before = modelCount();
    await expect(services.client.call('ml.train', { until: '2019-01-01', ...SMALL })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(services.client.call('ml.train', { until: '2021-13-01' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(services.client.call('ml.score', { modelVersion: 'm-does-not-exist' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(services.client.call('ml.scoreHistory', { assetId: 'NOPE' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(modelCount()).toBe(before);
  });

  it('cancels a training through tasks.cancel and stores nothing', async () => {
    const before = modelCount();
    const off = services.client.on('progress', (p) => {
      if (p.kind === 'ml.train' && !p.finished) void services.client.call('tasks.cancel', { taskId: p.taskId });
    });
    await expect(services.client.call('ml.train', { until: '2021-12-31', ...SMALL })).rejects.toMatchObject({ code: 'CANCELLED' });
    off();
    expect(modelCount()).toBe(before);
    expect(await services.client.call('tasks.list', {})).toEqual([]);
  });

  // Trains a model: minutes on a loaded two-core machine.
  it('retrains on schedule when the newest version is older than the interval', { timeout: 240_000 }, async () => {
    const domain = createMlDomain(services.core, { scheduleCheckMs: 3_600_000 });
    const s = await domain.handlers['ml.schedule']({ intervalHours: 24, options: { ...SMALL, trainStride: 30, gbmIterations: 5, horizon: 30 } }, { origin: 'test' });
    expect(s.intervalHours).toBe(24);
    expect(Date.parse(s.nextDueAt!)).toBeGreaterThan(Date.now());
    expect(await domain.checkSchedule()).toBeNull();
    const before = modelCount();
    // Age every version by two days: a retrain is now due.
    services.core.store.db.prepare("UPDATE ml_models SET created_at = '2000-01-01T00:00:00.000Z'").run();
    const version = await domain.checkSchedule();
    expect(version).not.toBeNull();
    expect(modelCount()).toBe(before + 1);
    const after = await services.client.call('ml.schedule', {});
    expect(Date.parse(after.nextDueAt!)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    await services.client.call('ml.schedule', { intervalHours: null });
    expect((await services.client.call('ml.schedule', {})).nextDueAt).toBeNull();
  });
});
