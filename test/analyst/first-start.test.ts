/**
 * A first start on the bundled dataset: the import brings the DefiLlama files with their source
 * and scope, the descriptions as static metadata, and installs the model shipped with the dataset
 * only because it was trained on exactly these files, so scores exist before anyone trains.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import { findBundledDataset } from '../../src/main/services';
import { datasetFingerprint } from '../../src/main/services/importer/importer';
import { installBundledModel } from '../../src/main/services/ml/bundled';
import { createTestServices } from '../helpers/app';

let services: Services;
let cleanup: () => Promise<void>;
const dir = findBundledDataset(__dirname)!;
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { model: { version: string; datasetFingerprint: string; predictions: number } };
const one = <T>(sql: string, ...params: unknown[]): T => services.core.store.db.prepare(sql).get(...params) as T;

beforeAll(async () => {
  ({ services, cleanup } = await createTestServices({ bundledModel: true }));
});
afterAll(async () => cleanup());

describe('first start on the bundled dataset', () => {
  it('installs the shipped model trained on these files, as champion, with current scores', async () => {
    expect(manifest.model.datasetFingerprint).toBe(datasetFingerprint(dir));
    const models = await services.client.call('ml.models', {});
    expect(models.map((m) => [m.version, m.role])).toEqual([[manifest.model.version, 'champion']]);
    expect(one<{ n: number }>('SELECT count(*) AS n FROM ml_predictions').n).toBe(manifest.model.predictions);
    const o = await services.client.call('ui.overview', {});
    expect(o.scored).toBe(true);
    const scored = o.rows.filter((r) => r.score !== null);
    expect(scored.length).toBeGreaterThan(50);
    // Scored on the data's last day: current, not stale.
    for (const r of scored) expect([r.scoreDay, r.scoreStale]).toEqual([o.asOf, false]);
    // A score is a cross-sectional percentile of current assets; delisted ones have none.
    for (const r of o.rows.filter((x) => x.staleSince !== null)) expect(r.score).toBeNull();
    // Scoring the latest day again reads the stored scores: no training needed.
    const s = await services.client.call('ml.score', {});
    expect(s.modelVersion).toBe(manifest.model.version);
    expect(s.day).toBe(o.asOf);
  });

  it('refuses the shipped model for data it was not trained on, and installs it once', () => {
    const store = services.core.store;
    expect(installBundledModel(store, dir, 'f'.repeat(64))).toEqual({ installed: false, reason: 'the shipped model was trained on a different dataset than the one imported' });
    expect(installBundledModel(store, dir, null).installed).toBe(false);
    expect(installBundledModel(store, dir, datasetFingerprint(dir))).toEqual({ installed: false, reason: `model ${manifest.model.version} is already installed` });
  });

  it('keeps DefiLlama rows apart from Token Terminal, each with its source and scope', () => {
    const llama = one<{ n: number; sources: number; scopes: number }>(
      `SELECT count(*) AS n, count(DISTINCT source) AS sources, count(DISTINCT scope) AS scopes FROM defillama_protocol_daily`,
    );
    expect(llama.n).toBe(12_822);
    expect(llama.scopes).toBeGreaterThan(5);
    expect(one<{ n: number }>(`SELECT count(*) AS n FROM defillama_protocol_daily WHERE source NOT LIKE 'defillama:%'`).n).toBe(0);
    // Nothing of DefiLlama's was written into Token Terminal's table.
    expect(one<{ n: number }>(`SELECT count(*) AS n FROM onchain_metrics WHERE source LIKE 'defillama%'`).n).toBe(0);
    expect(one<{ n: number }>(`SELECT count(*) AS n FROM defillama_chain_daily`).n).toBe(19_926);
    // Descriptions, DefiLlama categories and chains are asset metadata.
    const aave = one<{ description: string; chains: string; defillama_category: string; description_source: string }>(`SELECT description, chains, defillama_category, description_source FROM crypto_assets WHERE asset_id = 'AAVE'`);
    expect(aave.defillama_category).toBe('Lending');
    expect(aave.chains.split(';')).toContain('Polygon');
    expect(aave.description.length).toBeGreaterThan(50);
    expect(aave.description_source).toBeTruthy();
  });
});
