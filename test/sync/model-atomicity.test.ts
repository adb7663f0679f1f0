/**
 * A model version is a parent row with thousands of children (its predictions) and a role (the
 * A/B setting). Saved locally in one transaction, it must reach other clients whole or not at
 * all: the sync process is SIGKILLed between the batches of one model (a small --batch), and a
 * second client, pulling in small batches of its own, never lists, scores with or shows a
 * version whose predictions are incomplete — before the first client resumes, or after.
 */
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { headlineVersion } from '../../src/main/services/ml/api';
import type { ScoredAsset, TrainResult } from '../../src/main/services/ml/pipeline';
import { getAb, listModelRows, predictionCount, saveTrainedModel } from '../../src/main/services/ml/registry';
import { createTestServices } from '../helpers/app';
import { createTestDatabase, foreignCwd, postgresAvailable } from '../helpers/services';
import { startCli } from '../reliability/cli';
import { createSyncClient, waitFor } from './helpers';

const pgOk = await postgresAvailable();

/** A trained version's shape with deterministic numbers (what the registry stores, not a fit). */
function fakeTrainResult(opts: { assets: number; historyDays: number; scoreDays: number }): TrainResult {
  const day = (i: number): string => new Date(Date.parse('2023-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);
  const history: TrainResult['history'] = [];
  const scores: ScoredAsset[] = [];
  for (let a = 0; a < opts.assets; a++) {
    const assetId = `atom${a}`;
    for (let d = 0; d < opts.historyDays; d++) history.push({ assetId, day: day(d), score: (a * 7 + d) % 100, confidence: 0.5, prediction: (a - d) / 1000 });
    for (let d = 0; d < opts.scoreDays; d++) {
      scores.push({
        assetId,
        symbol: `AT${a}`,
        day: day(opts.historyDays + d),
        score: (a * 13 + d) % 100,
        confidence: 0.6,
        prediction: a / 500,
        models: { ridge: 0.01, gbm: 0.02, rf: 0.03, nn: 0.04 },
        completeness: 1,
        contributions: [{ feature: 'momentum_30d', value: 0.1, contribution: 0.02 }],
      });
    }
  }
  const trainTo = day(opts.historyDays - 1);
  return {
    horizon: 30,
    dataFrom: day(0),
    dataUntil: day(opts.historyDays + opts.scoreDays - 1),
    trainFrom: day(0),
    trainTo,
    trainRows: history.length,
    features: ['momentum_30d'],
    params: {} as TrainResult['params'],
    metrics: { backend: 'test', models: { ensemble: { meanIc: 0.05 } } } as unknown as TrainResult['metrics'],
    artefacts: {} as TrainResult['artefacts'],
    history,
    scores,
  };
}

describe('a model is saved whole, with its role, in one local transaction', () => {
  it('a failure while making it champion leaves no version at all', async () => {
    const t = await createTestServices({ autoImport: false });
    try {
      const store = t.services.core.store;
      const off = store.addWriteHook((table) => {
        if (table === 'ml_settings') throw new Error('killed between the version and its role');
      });
      expect(() => saveTrainedModel(store, 'mfail', fakeTrainResult({ assets: 3, historyDays: 5, scoreDays: 1 }), 1, 'champion')).toThrow(/killed between/);
      off();
      expect(store.db.prepare('SELECT count(*) AS n FROM ml_models').get()).toEqual({ n: 0 });
      expect(store.db.prepare('SELECT count(*) AS n FROM ml_predictions').get()).toEqual({ n: 0 });

      saveTrainedModel(store, 'mok', fakeTrainResult({ assets: 3, historyDays: 5, scoreDays: 1 }), 1, 'champion');
      expect(getAb(store).champion).toBe('mok');
      // 3 assets x 5 history days, plus 3 scores x (ensemble + 4 component models).
      expect(predictionCount(store, 'mok')).toBe(15 + 15);
    } finally {
      await t.cleanup();
    }
  });
});

describe.runIf(pgOk)('a model reaches other clients whole or not at all', () => {
  let team: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  const cwd = foreignCwd();
  const dirs: string[] = [];
  afterAll(async () => {
    await admin?.end();
    await team?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    cwd.remove();
  });

  it('sync killed between the batches of one model: the second client never sees it incomplete', async () => {
    team = await createTestDatabase('model_atomicity');
    admin = new pg.Client({ connectionString: team.url });
    await admin.connect();

    // Client A trains (a stand-in result, saved through the real registry) and is closed.
    const a = await createTestServices({ autoImport: false });
    dirs.push(a.dataDir);
    const version = 'm20990101-000000-a7a7';
    saveTrainedModel(a.services.core.store, version, fakeTrainResult({ assets: 40, historyDays: 120, scoreDays: 3 }), 1, 'champion');
    const expected = predictionCount(a.services.core.store, version);
    expect(expected).toBe(40 * 120 + 40 * 3 * 5);
    await a.services.close();

    const teamCounts = async (): Promise<{ models: number; predictions: number }> => {
      // Before A's sync has migrated the team database there is nothing yet.
      const exists = await admin.query("SELECT to_regclass('ml_predictions') IS NOT NULL AND to_regclass('ml_models') IS NOT NULL AS ok");
      if (!(exists.rows[0] as { ok: boolean }).ok) return { models: 0, predictions: 0 };
      const r = await admin.query<{ models: string; predictions: string }>(
        `SELECT (SELECT count(*) FROM ml_models) AS models, (SELECT count(*) FROM ml_predictions WHERE model_version = $1 OR model_version LIKE $2) AS predictions`,
        [version, `${version}:%`],
      );
      return { models: Number(r.rows[0]?.models), predictions: Number(r.rows[0]?.predictions) };
    };

    // A's sync, in batches of 40 rows, killed once some (not all) of the model's rows are in.
    const args = ['sync', '--once', '--no-import', '--batch', '40', '--pg', team.url, '--data-dir', a.dataDir];
    const first = startCli(args, { cwd: cwd.dir });
    let killedAt: { models: number; predictions: number } | null = null;
    await waitFor(
      async () => {
        const c = await teamCounts();
        if (c.predictions > 0) {
          first.child.kill('SIGKILL');
          killedAt = c;
          return true;
        }
        return first.child.exitCode !== null;
      },
      'the first batches of the model on the team database',
      120_000,
    );
    const ended = await first.done;
    expect(ended.signal, ended.stderr).toBe('SIGKILL');
    const atKill = await teamCounts();
    expect(killedAt).not.toBeNull();
    expect(atKill.predictions).toBeLessThan(expected);
    // The team database holds the children so far, never the parent without all of them.
    expect(atKill.models).toBe(0);

    // Client B pulls in small batches of its own: nothing of the model is visible.
    const b = await createSyncClient({ pgUrl: team.url });
    try {
      b.sync.worker.configure({ batchSize: 37 });
      await b.sync.worker.syncOnce();
      const store = b.services.core.store;
      expect(predictionCount(store, version)).toBe(atKill.predictions);
      expect(listModelRows(store)).toEqual([]);
      expect(getAb(store)).toEqual({ champion: null, challenger: null });
      expect(headlineVersion(store)).toBeNull();
      await expect(b.services.client.call('ml.models', {})).resolves.toEqual([]);
      await expect(b.services.client.call('ml.score', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(b.services.client.call('ml.model', { version })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // Even a version row that arrives ahead of its predictions (another ordering, a client of
      // another version) stays hidden until they have all arrived.
      const ahead = { version: 'mahead', created_at: '2099-01-01T00:00:00Z', status: 'ready', horizon_days: 30, data_from: '2023-01-01', data_until: '2023-02-01', train_from: '2023-01-01', train_to: '2023-01-20' };
      store.write('ml_models', [{ ...ahead, train_rows: 1, features: '[]', params: '{}', metrics: '{}', artefacts: '{}', backend: 'test', duration_ms: 1, prediction_rows: 2 }], { origin: 'remote' });
      store.write('ml_predictions', [{ asset_id: 'atom1', day: '2023-01-02', model_version: 'mahead', score: 50, confidence: 0.5, prediction: 0, contributions: null, created_at: '2099-01-01T00:00:00Z' }], { origin: 'remote' });
      expect(listModelRows(store).map((m) => m.version)).toEqual([]);
      store.write('ml_predictions', [{ asset_id: 'atom2', day: '2023-01-02', model_version: 'mahead', score: 40, confidence: 0.5, prediction: 0, contributions: null, created_at: '2099-01-01T00:00:00Z' }], { origin: 'remote' });
      expect(listModelRows(store).map((m) => m.version)).toEqual(['mahead']);

      // A resumes and finishes: B then sees the whole model, with its role.
      const second = await startCli(args, { cwd: cwd.dir }).done;
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      const done = await teamCounts();
      expect(done).toEqual({ models: 1, predictions: expected });
      await b.sync.worker.syncOnce();
      expect(predictionCount(store, version)).toBe(expected);
      expect(listModelRows(store).map((m) => m.version)).toContain(version);
      expect(getAb(store).champion).toBe(version);
      expect(headlineVersion(store)).toBe(version);
      // Every score-history point of an asset: 120 validation days and 3 scored days.
      expect(store.db.prepare('SELECT count(*) AS n FROM ml_predictions WHERE model_version = ? AND asset_id = ?').get(version, 'atom1')).toEqual({ n: 123 });
    } finally {
      await b.close();
    }
  }, 300_000);
});
