/**
 * The analyst's first hour, in Chromium against the headless server started on an EMPTY data
 * directory (the first start imports the bundled dataset and its shipped model): scores without
 * pressing anything, stale values greyed with their day, stale assets behind a filter, peers with
 * as-of days, the score explained by labels, and no console errors on any page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newPage, SCREENSHOTS, startApp, type RunningApp } from './harness';

let app: RunningApp & { startMs: number };
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const timings: Record<string, number> = {};

const one = <T>(sql: string, ...params: unknown[]): T => app.services.core.store.db.prepare(sql).get(...params) as T;
const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: name.includes('asset') });
const rowIds = (): Promise<string[]> => page.$$eval('[data-testid="overview-table"] tbody tr[data-row-id]', (trs) => trs.map((tr) => tr.getAttribute('data-row-id') ?? ''));
const count = async (): Promise<number> => Number((await page.getByTestId('overview-table-count').textContent())?.replace(/\D/g, ''));

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  app = await startApp({ firstStart: true });
  timings.serverReadyMs = app.startMs;
  browser = await launchChromium();
  page = await newPage(browser);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 300_000);

afterAll(async () => {
  // Timings of this run (not asserted: the machine is shared) for the issue note.
  writeFileSync(path.join(SCREENSHOTS, 'analyst-timings.json'), JSON.stringify(timings, null, 2));
  await browser?.close();
  await app?.close();
});

describe('first open', () => {
  it('shows scores without pressing anything, ranked, with the distribution of current assets', async () => {
    const t0 = performance.now();
    await page.goto(`${app.url}/#/overview`);
    await page.locator('[data-testid="overview-table"] td[data-col="score"]').first().waitFor();
    await page.getByTestId('score-histogram').waitFor();
    timings.firstOpenToScoresMs = Math.round(performance.now() - t0);
    const top = one<{ asset_id: string }>(
      `SELECT asset_id FROM ml_predictions WHERE score IS NOT NULL AND model_version NOT LIKE '%:%'
         AND day = (SELECT MAX(day) FROM ml_predictions WHERE score IS NOT NULL) ORDER BY score DESC, asset_id LIMIT 1`,
    ).asset_id;
    expect((await rowIds())[0]).toBe(top);
    const firstScore = await page.locator(`tr[data-row-id="${top}"] td[data-col="score"]`).textContent();
    expect(Number(firstScore?.replace(/\D/g, ''))).toBeGreaterThanOrEqual(99);
    await shot('first-open-overview');
  });

  it('greys SUSHI’s TVL as stale with its own day', async () => {
    await page.getByLabel('Search assets').fill('SUSHI');
    const tvl = page.getByTestId('tvl-SUSHI');
    const day = one<{ d: string }>(`SELECT MAX(day) AS d FROM onchain_metrics WHERE asset_id = 'SUSHI' AND tvl IS NOT NULL`).d;
    expect(await tvl.getAttribute('data-stale')).toBe('true');
    expect(await tvl.getAttribute('data-as-of')).toBe(day);
    expect(await tvl.textContent()).toContain(day);
    expect(await tvl.locator('xpath=..').getAttribute('class')).not.toContain('stale-row');
    await shot('sushi-stale-tvl');
    await page.getByLabel('Search assets').fill('');
  });

  it('keeps stale assets out of the default ranking and brings them back behind the filter', async () => {
    const stale = one<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT asset_id FROM financial_metrics WHERE close IS NOT NULL GROUP BY asset_id
         HAVING MAX(day) < date((SELECT MAX(day) FROM financial_metrics WHERE close IS NOT NULL), '-30 day'))`,
    ).n;
    const mpl = one<{ d: string }>(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'MPL' AND close IS NOT NULL`).d;
    const current = await count();
    await page.getByLabel('Search assets').fill('MPL');
    expect(await rowIds()).not.toContain('MPL');
    await page.getByTestId('filter-stale').check();
    expect(await rowIds()).toContain('MPL');
    expect(await page.locator('tr[data-row-id="MPL"] td[data-col="lastDay"]').textContent()).toBe(`stale since ${mpl}`);
    await page.getByLabel('Search assets').fill('');
    expect(await count()).toBe(current + stale);
    await shot('stale-filter');
    await page.getByTestId('filter-stale').uncheck();
  });
});

describe('asset page', () => {
  it('draws the price chart, lists lending peers with as-of days and explains the score in labels', async () => {
    const t0 = performance.now();
    await page.goto(`${app.url}/#/asset/AAVE`);
    await page.getByTestId('chart-price').waitFor();
    timings.assetPageToPriceChartMs = Math.round(performance.now() - t0);
    // Peers: the same (lending) category first, each with its values' days.
    const table = page.getByTestId('competitors-table');
    await table.waitFor();
    const cats = await table.locator('td[data-col="category"]').allTextContents();
    expect(cats.length).toBeGreaterThan(3);
    expect(cats[0]).toBe('Lending');
    expect(cats.filter((c) => c === 'Lending').length).toBeGreaterThanOrEqual(3);
    const asOf = await table.locator('td[data-col="price"] [data-as-of]').evaluateAll((els) => els.map((e) => e.getAttribute('data-as-of')));
    expect(asOf.length).toBe(cats.length);
    for (const d of asOf) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The score in words: a summary, labelled drivers, the model's out-of-sample skill.
    expect(await page.getByTestId('score-summary').textContent()).toMatch(/^Score \d+ of 100/);
    expect(await page.getByTestId('score-skill').textContent()).toMatch(/rank IC -?\d\.\d{3}/);
    const labels = await page.getByTestId('score-drivers').locator('tbody td:first-child').allTextContents();
    expect(labels.length).toBeGreaterThan(2);
    for (const l of labels) expect(l).not.toMatch(/^[a-z]+(_[a-z0-9]+)+$/);
    const chartLabels = Object.keys(JSON.parse((await page.getByTestId('chart-contributions').getAttribute('data-summary')) ?? '{}') as Record<string, number>);
    for (const l of chartLabels) expect(l).not.toMatch(/^[a-z]+(_[a-z0-9]+)+$/);
    // Per-model rows are named.
    const models = await page.getByTestId('models-table').locator('td[data-col="model"]').allTextContents();
    expect(models.sort()).toEqual(['Ensemble', 'Gradient boosting', 'Neural network', 'Random forest', 'Ridge regression']);
    await page.getByTestId('chart-outcomes').waitFor();
    await shot('asset-aave');
    await page.getByTestId('score-panel').scrollIntoViewIfNeeded();
    await shot('asset-aave-score');
    await table.scrollIntoViewIfNeeded();
    await shot('asset-aave-peers');
  });

  it('shows the asset’s coverage: each family from each source, from when to when, with stale runs greyed', async () => {
    const table = page.getByTestId('coverage-asset');
    await table.waitFor();
    const rows = await table.locator('tbody tr[data-row-id]').evaluateAll((trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-row-id') ?? '', cls: tr.className, to: tr.querySelector('td[data-col="to"] [data-as-of]')?.getAttribute('data-as-of') ?? null, rows: tr.querySelector('td[data-col="rows"]')?.textContent ?? '' })),
    );
    const tt = rows.find((r) => r.id.startsWith('tvl:Token Terminal'))!;
    expect(tt.to).toBe(one<{ d: string }>(`SELECT MAX(day) AS d FROM onchain_metrics WHERE asset_id = 'AAVE' AND tvl IS NOT NULL`).d);
    expect(tt.cls).toContain('stale-row');
    expect(Number(tt.rows.replace(/\D/g, ''))).toBe(one<{ n: number }>(`SELECT count(*) AS n FROM onchain_metrics WHERE asset_id = 'AAVE' AND tvl IS NOT NULL`).n);
    expect(rows.some((r) => r.id.startsWith('tvl:DefiLlama:'))).toBe(true);
    const market = rows.filter((r) => r.id.startsWith('market:'));
    expect(market.length).toBeGreaterThan(0);
    expect(market.some((r) => !r.cls.includes('stale-row'))).toBe(true);
    await table.scrollIntoViewIfNeeded();
    await shot('asset-aave-coverage');
  });

  it('says why the TVL chart is empty in the 3M range', async () => {
    await page.getByRole('button', { name: '3M' }).click();
    const panel = page.locator('.chart-panel', { hasText: 'TVL by source' });
    await panel.getByText('Choose a longer range').waitFor();
    expect(await panel.textContent()).toMatch(/the latest TVL is from \d{4}-\d{2}-\d{2}/);
    await shot('asset-aave-3m');
  });

  it('shows the store’s coverage by family and source in the Data view, with stale assets counted', async () => {
    await page.goto(`${app.url}/#/data`);
    const table = page.getByTestId('coverage-store');
    await table.waitFor();
    const families = await table.locator('td[data-col="family"]').allTextContents();
    for (const f of ['Price, market cap and volume', 'TVL', 'Revenue and fees', 'Development activity (weekly)', 'Chain TVL (DefiLlama)']) expect(families).toContain(f);
    const tt = table.locator('tr[data-row-id="tvl:Token Terminal:"]');
    const ttAssets = one<{ n: number }>(`SELECT count(DISTINCT asset_id) AS n FROM onchain_metrics WHERE tvl IS NOT NULL AND source = 'tokenterminal'`).n;
    expect(Number(await tt.locator('td[data-col="assets"]').textContent())).toBe(ttAssets);
    expect(Number(await tt.locator('td[data-col="staleAssets"]').textContent())).toBe(ttAssets);
    await table.scrollIntoViewIfNeeded();
    await shot('data-coverage');
  });

  it('has no console errors on any page', async () => {
    for (const view of ['overview', 'models', 'data', 'audit', 'settings', 'asset/SUSHI']) {
      await page.goto(`${app.url}/#/${view}`);
      await page.waitForLoadState('networkidle');
    }
    expect(consoleErrors).toEqual([]);
  });
});
