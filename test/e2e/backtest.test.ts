/**
 * The Models view's point-in-time backtest in Chromium on the bundled data: the analyst fills the
 * form and runs it, sees its progress in the task list, then the summary line, the chart and the
 * per-date table, each compared with the answer of ml.backtest (and the chart with the report's
 * own series). Training is kept small by adding the test-size options to the page's request.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/shared/contract/ml';
import { formatPct, formatShare } from '../../src/renderer/src/lib/format';
import { chartSummary, openSession, SCREENSHOTS, type RunningApp } from './harness';

const SMALL_TRAINING = { folds: 2, trainStride: 10, gbmIterations: 15, rfTrees: 6, nnEpochs: 1 };
const FORM = { from: '2022-05-01', to: '2022-07-30', every: 30, retrainEvery: 30 };
const num = (n: number | null, digits = 3): string => (n === null ? '—' : n.toFixed(digits));

interface Summary {
  series: { key: string; points: number; first: [string, number] | null; last: [string, number] | null; min: number | null; max: number | null }[];
}

let app: RunningApp;
let close: () => Promise<void> = async () => undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ({ app, page, close } = await openSession(pageErrors));
}, 300_000);

afterAll(() => close());

describe('Models view: point-in-time backtest', () => {
  it('runs from the form with progress, and shows the summary, chart and table of ml.backtest', async () => {
    const sent: unknown[] = [];
    await page.route('**/api/ml.backtest', async (route) => {
      const body = { ...(JSON.parse(route.request().postData() ?? '{}') as Record<string, unknown>), ...SMALL_TRAINING };
      sent.push(body);
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.goto(`${app.url}/#/models`);
    const panel = page.getByTestId('backtest');
    await panel.waitFor();
    await panel.getByLabel('Backtest from').fill(FORM.from);
    await panel.getByLabel('Backtest to').fill(FORM.to);
    await panel.getByLabel('Score every days').fill(String(FORM.every));
    await panel.getByLabel('Retrain every days').fill(String(FORM.retrainEvery));

    const answered = page.waitForResponse((r) => r.url().endsWith('/api/ml.backtest'), { timeout: 600_000 });
    await panel.getByRole('button', { name: 'Run backtest' }).click();
    // While it runs: the button says so and the task list shows the backtest with a progress bar.
    await expect(panel.getByRole('button', { name: 'Running…' }).isDisabled()).resolves.toBe(true);
    const bar = panel.getByTestId('tasks').getByRole('progressbar', { name: 'ml.backtest progress' });
    await bar.waitFor({ timeout: 120_000 });
    expect(Number(await bar.getAttribute('aria-valuemax'))).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'models-backtest-running.png') });

    const response = await answered;
    expect(response.status()).toBe(200);
    const report = ((await response.json()) as { data: BacktestReport }).data;
    // The form's values went out as typed.
    expect(sent).toEqual([{ ...FORM, ...SMALL_TRAINING }]);
    expect(report.dates.length).toBeGreaterThanOrEqual(3);
    // Point in time: every scored day's model was trained only on data known by that day.
    for (const d of report.dates) expect(d.trainedUntil <= d.day).toBe(true);
    expect(new Set(report.dates.map((d) => d.modelVersion)).size).toBeGreaterThan(1);

    const table = page.getByTestId('backtest-table');
    await table.waitFor({ timeout: 60_000 });
    const rows = await table.locator('tbody tr[data-row-id]').evaluateAll((trs) =>
      trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.getAttribute('data-col'), td.textContent?.trim() ?? '']))),
    );
    expect(rows).toEqual(
      [...report.dates]
        .sort((a, b) => a.day.localeCompare(b.day))
        .map((d) => ({ day: d.day, modelVersion: d.modelVersion, trainedUntil: d.trainedUntil, ic: num(d.ic), momentumIc: num(d.momentumIc), spread: formatPct(d.spread, 2), hitRate: formatShare(d.hitRate, 1) })),
    );

    const summary = (await page.getByTestId('backtest-summary').textContent()) ?? '';
    const s = report.summary;
    expect(summary).toContain(`Mean IC ${num(s.meanIc)} (t ${num(s.icT, 2)}, positive on ${formatShare(s.positiveShare, 0)} of dates)`);
    expect(summary).toContain(`mean top−bottom quintile ${formatPct(s.meanSpread, 2)}`);
    expect(summary).toContain(`cumulative ${formatPct(s.cumulativeSpread, 1)}`);

    // The chart draws the report: model IC and momentum IC per date, and the cumulative
    // top-minus-bottom return ending at the summary's cumulative figure.
    const chart = await chartSummary<Summary>(page, 'chart-backtest');
    const days = [...report.dates].sort((a, b) => a.day.localeCompare(b.day));
    for (const [key, pick] of [['ic', (d: BacktestReport['dates'][number]) => d.ic], ['momentum', (d: BacktestReport['dates'][number]) => d.momentumIc]] as const) {
      const present = days.filter((d) => pick(d) !== null);
      const drawn = chart.series.find((x) => x.key === key);
      expect(drawn, key).toBeDefined();
      expect(drawn!.points, key).toBe(present.length);
      expect(drawn!.first, key).toEqual([present[0]!.day, pick(present[0]!)]);
      expect(drawn!.last, key).toEqual([present.at(-1)!.day, pick(present.at(-1)!)]);
      expect(drawn!.min, key).toBe(Math.min(...present.map((d) => pick(d)!)));
      expect(drawn!.max, key).toBe(Math.max(...present.map((d) => pick(d)!)));
    }
    const cumulative = chart.series.find((x) => x.key === 'cumulative');
    expect(cumulative?.last?.[0]).toBe(days.at(-1)!.day);
    expect(cumulative?.last?.[1]).toBeCloseTo(s.cumulativeSpread!, 9);

    await page.getByTestId('backtest').screenshot({ path: path.join(SCREENSHOTS, 'models-backtest.png') });
    expect(pageErrors).toEqual([]);
  }, 900_000);
});
