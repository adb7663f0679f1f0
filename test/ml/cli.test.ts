/** `defimon train`, `score`, `models` and `ab` end to end through the CLI on the bundled data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignCwd, tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

// Every command runs from a temporary folder, not the repository: the CLI must work from anywhere.
const CWD = foreignCwd();
afterAll(() => CWD.remove());

async function defimon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // A store without the dataset's shipped model: these tests train the first version themselves.
  return execCli(args, { cwd: CWD.dir, timeoutMs: 240_000, env: { ...process.env, DEFIMON_BUNDLED_MODEL: '0' } });
}

describe('defimon train / score / models', () => {
  const tmp = tempDataDir('defimon-ml-cli');
  afterAll(() => tmp.remove());
  beforeAll(async () => {
    const res = await defimon(['import', '--json', '--data-dir', tmp.dir]);
    expect(res.code).toBe(0);
  }, 120_000);

  it('trains on data up to a day and prints metrics of every model, the ensemble and the baselines', async () => {
    const res = await defimon(['train', '--until', '2021-06-30', '--folds', '2', '--json', '--data-dir', tmp.dir]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const m = JSON.parse(res.stdout) as { version: string; dataUntil: string; trainTo: string; metrics: Record<string, { meanIc: number | null }>; chance: { meanIc: number } };
    expect(m.dataUntil).toBe('2021-06-30');
    expect(Object.keys(m.metrics).sort()).toEqual(['ensemble', 'gbm', 'momentum', 'nn', 'rf', 'ridge']);
    for (const v of Object.values(m.metrics)) expect(typeof v.meanIc).toBe('number');
    expect(Math.abs(m.chance.meanIc)).toBeLessThan(0.05);

    const score = await defimon(['score', '--as-of', '2021-07-15', '--json', '--data-dir', tmp.dir]);
    expect(score.code).toBe(0);
    const s = JSON.parse(score.stdout) as { modelVersion: string; inSample: boolean; assets: { symbol: string; score: number; confidence: number; prediction: number; contributions: { feature: string; value: number | null; contribution: number }[] }[] };
    expect(s.modelVersion).toBe(m.version);
    expect(s.inSample).toBe(false);
    expect(s.assets.length).toBeGreaterThan(20);
    for (const a of s.assets) {
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(100);
      expect(a.contributions[0]).toEqual({ feature: expect.any(String), value: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'), contribution: expect.any(Number) });
    }

    // The table reads like a report: what each column means, the model's out-of-sample skill,
    // plain feature labels (no raw feature names), and the data's attribution.
    const text = await defimon(['score', '--as-of', '2021-07-15', '--limit', '3', '--data-dir', tmp.dir]);
    const lines = text.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/SCORE = percentile .*CONF = confidence .*PRED = predicted 30-day return relative to the universe's median/);
    expect(lines[2]).toMatch(new RegExp(`^out-of-sample skill \\(walk-forward to ${m.trainTo}\\): rank IC -?\\d\\.\\d{3} \\(t -?\\d+\\.\\d{2}`));
    const rows = lines.slice(4, 7);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).not.toMatch(/\b(rank_|log_|ret_|has_)\w+/);
    expect(lines.at(-1)).toMatch(/^data: .* to \d{4}-\d\d-\d\d\. Market data: /);

    // A day inside the training data: flagged in-sample in the JSON rows and every table row, with a pointer to backtest.
    const inside = await defimon(['score', '--as-of', '2021-03-01', '--json', '--data-dir', tmp.dir]);
    const ins = JSON.parse(inside.stdout) as { inSample: boolean; assets: { inSample: boolean }[] };
    expect(ins.inSample).toBe(true);
    expect(ins.assets.every((a) => a.inSample)).toBe(true);
    expect(inside.stderr).toMatch(/no model was trained before 2021-03-01; .*defimon backtest --from 2021-03-01/);
    const insideText = await defimon(['score', '--as-of', '2021-03-01', '--limit', '2', '--data-dir', tmp.dir]);
    expect(insideText.stdout.trim().split('\n').filter((l) => l.includes('[in-sample]'))).toHaveLength(2);

    // A day outside the data says which range exists.
    const outside = await defimon(['score', '--as-of', '1999-01-01', '--data-dir', tmp.dir]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/^defimon: NOT_FOUND: no market data on 1999-01-01: the data covers \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);

    const models = await defimon(['models', '--json', '--data-dir', tmp.dir]);
    expect((JSON.parse(models.stdout) as { version: string; role: string }[]).map((x) => [x.version, x.role])).toEqual([[m.version, 'champion']]);
    const ab = await defimon(['ab', '--json', '--data-dir', tmp.dir]);
    expect((JSON.parse(ab.stdout) as { champion: string }).champion).toBe(m.version);
  }, 240_000);

  it('fails clearly: an unknown version, a bad day', async () => {
    const res = await defimon(['score', '--model', 'm-nope', '--json', '--data-dir', tmp.dir]);
    expect(res.code).toBe(1);
    expect((JSON.parse(res.stdout) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const bad = await defimon(['train', '--until', '2021-02-30', '--json', '--data-dir', tmp.dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_INPUT/);
  });
});
