/**
 * The renderer in Debian's Chromium against the headless server on the bundled dataset: what the
 * analyst sees is compared with the database, not just checked for presence. Screenshots of each
 * view go to test-results/screenshots/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configFields, loadConfig } from '../../src/main/services/config/config';
import { readFeature } from '../../src/shared/feature-labels';
import { readPng } from '../helpers/png';
import { chartSummary, openSession, SCREENSHOTS, type RunningApp } from './harness';

interface Summary {
  total: number;
  downsampled: boolean;
  series: { key: string; points: number; first: [string, number] | null; last: [string, number] | null; min: number | null; max: number | null }[];
}

let app: RunningApp;
let close: () => Promise<void> = async () => undefined;
let page: Page;
const pageErrors: string[] = [];

const all = <T>(sql: string, ...params: unknown[]): T[] => app.services.core.store.db.prepare(sql).all(...params) as T[];
const one = <T>(sql: string, ...params: unknown[]): T => app.services.core.store.db.prepare(sql).get(...params) as T;
const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
const visibleRowIds = (): Promise<string[]> => page.$$eval('[data-testid="overview-table"] tbody tr[data-row-id]', (trs) => trs.map((tr) => tr.getAttribute('data-row-id') ?? ''));
/** Polls a chart's data-summary until `ok` holds (the page's CSP forbids evaluating predicates in it). */
async function waitForSummary(testId: string, ok: (s: Summary) => boolean, timeoutMs = 15_000): Promise<Summary> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const raw = await page.getByTestId(testId).getAttribute('data-summary').catch(() => null);
    const s = raw ? (JSON.parse(raw) as Summary) : null;
    if (s && ok(s)) return s;
    if (Date.now() > until) throw new Error(`${testId}: the chart did not reach the expected data (last: ${raw?.slice(0, 200) ?? 'none'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Assets priced within 30 days of the dataset's end: the default ranking (stale ones sit behind a filter). */
const CURRENT = `(SELECT asset_id FROM financial_metrics WHERE close IS NOT NULL GROUP BY asset_id
  HAVING MAX(day) >= date((SELECT MAX(day) FROM financial_metrics WHERE close IS NOT NULL), '-30 day'))`;
const rowCount = async (): Promise<number> => Number((await page.getByTestId('overview-table-count').textContent())?.replace(/\D/g, ''));

beforeAll(async () => {
  ({ app, page, close } = await openSession(pageErrors));
});

// A failing step leaves a screenshot of what the page showed.
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page) await page.screenshot({ path: path.join(SCREENSHOTS, `failed-${ctx.task.name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
});

afterAll(() => close());

describe('overview', () => {
  it('lists every current asset, stale ones behind a filter, with the attribution', async () => {
    await page.goto(`${app.url}/#/overview`);
    await page.getByTestId('overview-table').waitFor();
    const current = one<{ n: number }>(`SELECT count(*) AS n FROM ${CURRENT}`).n;
    const priced = one<{ n: number }>('SELECT count(DISTINCT asset_id) AS n FROM financial_metrics WHERE close IS NOT NULL').n;
    expect(await rowCount()).toBe(current);
    expect(current).toBeLessThan(priced);
    const staleFilter = page.getByTestId('filter-stale');
    expect(await page.locator('label', { has: staleFilter }).textContent()).toMatch(new RegExp(`Delisted/stale since \\d{4}-\\d{2}-\\d{2}.*\\(${priced - current}\\)`));
    await staleFilter.check();
    expect(await rowCount()).toBe(priced);
    await staleFilter.uncheck();
    expect(await rowCount()).toBe(current);
    // Default order without scores: market cap (each asset's latest known), largest first.
    const top = all<{ asset_id: string }>(
      `SELECT f.asset_id FROM financial_metrics f JOIN (SELECT asset_id, MAX(day) AS d FROM financial_metrics WHERE market_cap IS NOT NULL GROUP BY asset_id) l
         ON l.asset_id = f.asset_id AND l.d = f.day WHERE f.market_cap IS NOT NULL AND f.asset_id IN ${CURRENT} ORDER BY f.market_cap DESC LIMIT 5`,
    ).map((r) => r.asset_id);
    expect((await visibleRowIds()).slice(0, 5)).toEqual(top);
    const btcCap = page.locator('tr[data-row-id="BTC"] td[data-col="marketCap"]');
    expect(await btcCap.textContent()).toMatch(/^\$1\.\d+T$/);
    expect(await page.getByTestId('attribution').textContent()).toContain('CoinGecko');
    // Virtualised: far fewer rows in the DOM than in the table.
    expect((await visibleRowIds()).length).toBeLessThan(current);
    await shot('overview');
  });

  it('sorts by a column in both directions', async () => {
    const price = page.locator('th[data-col="price"]');
    await price.click();
    const byPrice = all<{ asset_id: string }>(
      `SELECT f.asset_id FROM financial_metrics f JOIN (SELECT asset_id, MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL GROUP BY asset_id) l
         ON l.asset_id = f.asset_id AND l.d = f.day WHERE f.close IS NOT NULL AND f.asset_id IN ${CURRENT} ORDER BY f.close DESC`,
    ).map((r) => r.asset_id);
    expect(await price.getAttribute('aria-sort')).toBe('descending');
    expect((await visibleRowIds()).slice(0, 5)).toEqual(byPrice.slice(0, 5));
    await price.click();
    expect(await price.getAttribute('aria-sort')).toBe('ascending');
    expect((await visibleRowIds()).slice(0, 5)).toEqual([...byPrice].reverse().slice(0, 5));
  });

  it('filters by search, category, minimum market cap and watchlist', async () => {
    await page.getByLabel('Search assets').fill('aave');
    const matching = all<{ asset_id: string }>(
      `SELECT DISTINCT a.asset_id FROM crypto_assets a JOIN financial_metrics f ON f.asset_id = a.asset_id AND f.close IS NOT NULL
       WHERE (lower(a.symbol) LIKE '%aave%' OR lower(a.name) LIKE '%aave%') AND a.asset_id IN ${CURRENT}`,
    ).map((r) => r.asset_id);
    expect((await visibleRowIds()).sort()).toEqual(matching.sort());
    expect(matching).toContain('AAVE');
    await page.getByLabel('Search assets').fill('');

    await page.getByLabel('Category').selectOption('dex');
    const dex = one<{ n: number }>(`SELECT count(DISTINCT a.asset_id) AS n FROM crypto_assets a JOIN financial_metrics f ON f.asset_id = a.asset_id AND f.close IS NOT NULL WHERE a.category = 'dex' AND a.asset_id IN ${CURRENT}`).n;
    expect(await rowCount()).toBe(dex);
    const cats = await page.$$eval('[data-testid="overview-table"] td[data-col="category"]', (tds) => [...new Set(tds.map((td) => td.textContent))]);
    expect(cats).toEqual(['dex']);
    await page.getByLabel('Category').selectOption('');

    await page.getByLabel('Minimum market cap').fill('10B');
    const big = one<{ n: number }>(
      `SELECT count(*) AS n FROM financial_metrics f JOIN (SELECT asset_id, MAX(day) AS d FROM financial_metrics WHERE market_cap IS NOT NULL GROUP BY asset_id) l
         ON l.asset_id = f.asset_id AND l.d = f.day WHERE f.market_cap >= 1e10 AND f.asset_id IN ${CURRENT}`,
    ).n;
    expect(await rowCount()).toBe(big);
    await page.getByLabel('Minimum market cap').fill('');

    // Star AAVE from the table: the watchlist filter keeps only it, and the database has it.
    await page.getByLabel('Search assets').fill('aave');
    await page.getByRole('button', { name: 'Add AAVE to the watchlist' }).click();
    await page.getByRole('button', { name: 'Remove AAVE from the watchlist' }).waitFor();
    await page.getByLabel('Search assets').fill('');
    await page.getByLabel('Watchlist', { exact: true }).check();
    expect(await visibleRowIds()).toEqual(['AAVE']);
    expect(all(`SELECT asset_id FROM watchlist_items WHERE deleted = 0`)).toEqual([{ asset_id: 'AAVE' }]);
    await page.getByLabel('Watchlist', { exact: true }).uncheck();
  });

  it('exports the table as CSV with every row', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).first().click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r\n/);
    // Every value column carries its own as-of day in the export.
    expect(csv[0]).toContain('Symbol,Name,Category,Score,Score as of');
    expect(csv[0]).toContain('TVL,TVL as of');
    expect(csv.length - 1).toBe(await rowCount());
    const aave = csv.find((l) => l.includes(',AAVE,'))!;
    const close = one<{ close: number }>(`SELECT close FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL ORDER BY day DESC LIMIT 1`).close;
    expect(aave.split(',')).toContain(String(close));
  });

  it('opens an asset from the keyboard', async () => {
    await page.getByLabel('Search assets').fill('aave');
    const index = (await visibleRowIds()).indexOf('AAVE');
    await page.locator('.table-scroll').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByTestId('asset-detail').waitFor();
    expect(page.url()).toContain('#/asset/AAVE');
  });
});

describe('asset detail', () => {
  it('charts the four-year price history exactly as the database holds it', async () => {
    const s = await chartSummary<Summary>(page, 'chart-price');
    const last = one<{ d: string }>(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL`).d;
    const from = new Date(Date.parse(`${last}T00:00:00Z`) - 4 * 365 * 86_400_000).toISOString().slice(0, 10);
    const rows = all<{ day: string; close: number }>(`SELECT day, close FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL AND day >= ? ORDER BY day`, from);
    expect(s.downsampled).toBe(false);
    const close = s.series[0]!;
    expect(close.points).toBe(rows.length);
    expect(close.first).toEqual([rows[0]!.day, rows[0]!.close]);
    expect(close.last).toEqual([last, rows[rows.length - 1]!.close]);
    expect(close.max).toBe(Math.max(...rows.map((r) => r.close)));
    expect(close.min).toBe(Math.min(...rows.map((r) => r.close)));
    expect(await page.getByTestId('fact-price').textContent()).toBe(`$${rows[rows.length - 1]!.close.toFixed(2)}`);
  });

  it('charts TVL and development activity from the database', async () => {
    const tvl = await chartSummary<Summary>(page, 'chart-tvl');
    const lastTvl = one<{ day: string; tvl: number }>(`SELECT day, tvl FROM onchain_metrics WHERE asset_id = 'AAVE' AND tvl IS NOT NULL ORDER BY day DESC LIMIT 1`);
    expect(tvl.series[0]!.last).toEqual([lastTvl.day, lastTvl.tvl]);
    const dev = await chartSummary<Summary>(page, 'chart-dev');
    const commits = dev.series.find((x) => x.key === 'commits')!;
    const lastWeek = one<{ week_start: string; commits: number }>(`SELECT week_start, commits FROM github_metrics WHERE asset_id = 'AAVE' AND repo = '*' ORDER BY week_start DESC LIMIT 1`);
    expect(commits.last).toEqual([lastWeek.week_start, lastWeek.commits]);
    expect(commits.max).toBe(one<{ m: number }>(`SELECT MAX(commits) AS m FROM github_metrics WHERE asset_id = 'AAVE' AND repo = '*' AND week_start >= ?`, dev.series[0]!.first![0]).m);
    // No on-chain data in the bundle: the empty state says what to do.
    expect(await page.locator('.chart-panel', { hasText: 'On-chain activity' }).textContent()).toContain('add a QuickNode RPC URL');
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0));
    await shot('asset-detail');
  });

  it('switches range and log scale', async () => {
    const everyDay = one<{ n: number }>(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id = 'AAVE'`).n;
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await waitForSummary('chart-price', (x) => x.total === everyDay);
    const s = await chartSummary<Summary>(page, 'chart-price');
    expect(s.series[0]!.first![0]).toBe(one<{ d: string }>(`SELECT MIN(day) AS d FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL`).d);
    await page.getByLabel('Log scale').check();
    await page.getByRole('button', { name: '3M' }).click();
    await waitForSummary('chart-price', (x) => x.total < 100);
    expect((await chartSummary<Summary>(page, 'chart-price')).series[0]!.points).toBeLessThanOrEqual(91);
  });

  it('exports a chart as PNG', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.chart-panel', { hasText: 'Price (USD' }).getByRole('button', { name: 'PNG' }).click()]);
    expect(download.suggestedFilename()).toBe('AAVE-chart-price.png');
    const bytes = readFileSync((await download.path())!);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(5000);
    writeFileSync(path.join(SCREENSHOTS, 'export-aave-price.png'), bytes);
    // It carries its title, the asset, the range (3M, chosen above) and the data's attribution, drawn and as PNG text.
    const png = readPng(new Uint8Array(bytes));
    const last = one<{ d: string }>(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL`).d;
    const from = new Date(Date.parse(`${last}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
    expect(png.text).toMatchObject({ Title: 'AAVE: Price (USD, daily close)', Description: `3M: ${from} to ${last} (UTC days)` });
    expect(png.text.Attribution).toMatch(/^Data: .*CoinGecko/);
    // The title block sits above the plot: the image is taller than the chart on the page (pixel ratio 2).
    const box = (await page.getByTestId('chart-price').boundingBox())!;
    expect(png.height).toBeGreaterThan(Math.round(box.height * 2) + 100);
  });

  it('keeps notes and fires an alert rule in the page', async () => {
    await page.getByLabel('New note').fill('Watch the v3 migration');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByTestId('notes').getByText('Watch the v3 migration').waitFor();
    expect(all(`SELECT body FROM notes WHERE asset_id = 'AAVE' AND deleted = 0`)).toEqual([{ body: 'Watch the v3 migration' }]);

    // A daily move above 0.01% certainly happened on the last day: the rule fires at once.
    await page.getByLabel('Alert kind').selectOption('price_move');
    await page.getByLabel('Alert level').fill('0.01');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const toast = page.getByTestId('toasts').locator('.toast');
    await toast.first().waitFor();
    const [d1, d0] = all<{ day: string; close: number }>(`SELECT day, close FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL ORDER BY day DESC LIMIT 2`);
    expect(await toast.first().textContent()).toContain(`AAVE moved ${((d1!.close / d0!.close - 1) * 100).toFixed(1)}% on ${d1!.day}`);
    expect(one<{ threshold: number }>(`SELECT threshold FROM alert_rules WHERE asset_id = 'AAVE'`).threshold).toBeCloseTo(0.0001, 10);
    await page.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
    await shot('asset-detail-notes-alerts');
  });

  it('shows market cap and volume as the latest known, each with its own day and stale mark (SUSHI’s market cap ends before its price)', async () => {
    await page.goto(`${app.url}/#/asset/SUSHI`);
    const end = one<{ d: string }>(`SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL`).d;
    const staleBefore = new Date(Date.parse(`${end}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
    const lastPrice = one<{ d: string }>(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'SUSHI' AND close IS NOT NULL`).d;
    for (const [testId, column] of [
      ['fact-market-cap', 'market_cap'],
      ['fact-volume', 'volume_usd'],
    ] as const) {
      const known = one<{ day: string }>(`SELECT MAX(day) AS day FROM financial_metrics WHERE asset_id = 'SUSHI' AND ${column} IS NOT NULL AND day <= ?`, lastPrice);
      const value = page.getByTestId(testId).locator('[data-as-of]');
      await value.waitFor();
      expect(await value.getAttribute('data-as-of')).toBe(known.day);
      expect(await value.getAttribute('data-stale')).toBe(known.day < staleBefore ? 'true' : null);
    }
    const mcap = one<{ day: string }>(`SELECT MAX(day) AS day FROM financial_metrics WHERE asset_id = 'SUSHI' AND market_cap IS NOT NULL`).day;
    expect(mcap < lastPrice).toBe(true);
    expect(await page.getByTestId('fact-market-cap').textContent()).toMatch(/^\$[\d.]+[KMB]/);
  });
});

describe('errors, settings and other views', () => {
  it('shows a server error with its code and what to do', async () => {
    await page.goto(`${app.url}/#/asset/NOPE`);
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    expect(await alert.textContent()).toContain('NOT_FOUND');
    expect(await alert.textContent()).toContain('no asset "NOPE"');

    // An unreachable service: the overview says so and offers a retry.
    const ctx = page.context();
    await ctx.route('**/api/ui.overview', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: 'the database is locked', retryable: true } }) }));
    await page.goto(`${app.url}/#/overview`);
    await page.reload();
    const err = page.getByRole('alert').first();
    await err.waitFor({ timeout: 15_000 });
    expect(await err.textContent()).toContain('UNAVAILABLE');
    expect(await err.textContent()).toContain('check that it is running');
    await shot('overview-error');
    await ctx.unroute('**/api/ui.overview');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('overview-table').waitFor();
  });

  it('asks for an API key when the server refuses the call, and sends it', async () => {
    // A team server answers FORBIDDEN without a key (simulated here: the test server is on loopback).
    const ctx = page.context();
    const seen: (string | undefined)[] = [];
    await ctx.route('**/api/ui.overview', async (route) => {
      const auth = route.request().headers().authorization;
      seen.push(auth);
      if (auth === 'Bearer team-key-0123456789abcdef') return route.continue();
      return route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'FORBIDDEN', message: 'missing or unknown API key', retryable: false } }) });
    });
    await page.goto(`${app.url}/#/overview`);
    await page.reload();
    await page.getByLabel('API key').fill('team-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('overview-table').waitFor();
    expect(seen[0]).toBeUndefined();
    expect(seen.at(-1)).toBe('Bearer team-key-0123456789abcdef');
    await ctx.unroute('**/api/ui.overview');
    await page.evaluate("localStorage.removeItem('defimon.apiKey')");
  });

  it('persists settings through the server and keeps secrets write-only', async () => {
    await page.goto(`${app.url}/#/settings`);
    const horizon = page.getByLabel('Model horizon (days)');
    await horizon.waitFor();
    await horizon.fill('45');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await app.services.client.call('settings.get', {})).values.horizonDays).toBe(45);
    await page.reload();
    await page.getByLabel('Model horizon (days)').waitFor();
    expect(await page.getByLabel('Model horizon (days)').inputValue()).toBe('45');
    // Over HTTP without an admin key the endpoints are read-only, with the server's reason, not editable-then-FORBIDDEN.
    const etherscan = page.getByLabel('Etherscan API base URL');
    expect(await etherscan.isDisabled()).toBe(true);
    expect(await page.getByTestId('note-etherscanBaseUrl').textContent()).toContain('without an admin key');
    const view = await app.services.client.call('settings.get', {});
    expect(view.access.horizonDays).toEqual({ editable: true, reason: null });
    // Secret inputs are password fields and never hold a value from the server.
    const inputs = await page.locator('[data-testid="secrets"] input').all();
    expect(inputs.length).toBeGreaterThan(5);
    for (const input of inputs) expect([await input.getAttribute('type'), await input.inputValue(), await input.isDisabled()]).toEqual(['password', '', true]);
    await shot('settings');
  });

  it('shows every collector tunable of the configuration schema, saves one and refuses an out-of-bounds value without writing', async () => {
    await page.goto(`${app.url}/#/settings`);
    const panel = page.getByTestId('collect-settings');
    await panel.waitFor();
    // One row per numeric setting the schema declares under collect, with its bounds.
    const schemaKeys = configFields('collect').map((f) => f.key);
    expect(schemaKeys.length).toBeGreaterThan(15);
    expect(await panel.locator('[data-setting]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-setting')))).toEqual(schemaKeys);
    const maxRange = configFields('collect').find((f) => f.key === 'collect.chain.maxRange');
    expect(await panel.locator('[data-setting="collect.chain.maxRange"]').textContent()).toContain(`${maxRange?.min} – ${maxRange?.max}`);
    expect(await page.getByLabel('collect.chain.maxRange').getAttribute('placeholder')).toBe(`default ${maxRange?.default}`);

    const file = path.join(app.dataDir, 'defimon.config.json');
    await page.getByLabel('collect.chain.maxRange').fill('4321');
    await page.getByRole('button', { name: 'Save collection settings' }).click();
    await panel.getByText('Saved.').waitFor();
    expect((await app.services.client.call('settings.get', {})).fields.find((f) => f.key === 'collect.chain.maxRange')?.stored).toBe(4321);
    expect(JSON.parse(readFileSync(file, 'utf8')).collect).toEqual({ chain: { maxRange: 4321 } });
    expect(loadConfig({ overrides: { dataDir: app.dataDir }, env: {} }).collect.chain.maxRange).toBe(4321);

    // Out of bounds (batchSize ≤ 1000): the server's error under the field, and the file untouched.
    const before = readFileSync(file, 'utf8');
    await page.getByLabel('collect.chain.batchSize').fill('5000');
    await page.getByRole('button', { name: 'Save collection settings' }).click();
    const err = page.getByTestId('error-collect.chain.batchSize');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/1000/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await app.services.client.call('settings.get', {})).fields.find((f) => f.key === 'collect.chain.batchSize')?.stored).toBeNull();
    await panel.screenshot({ path: path.join(SCREENSHOTS, 'settings-collect.png') });
  });

  it('shows the data view with collectors, sync and services', async () => {
    await page.goto(`${app.url}/#/data`);
    await page.getByTestId('collectors').waitFor();
    const sources = await page.$$eval('[data-testid="collectors"] tr[data-source]', (trs) => trs.map((t) => t.getAttribute('data-source')));
    expect(sources).toEqual((await app.services.client.call('collect.status', {})).sources.map((s) => s.source));
    await page.getByTestId('sync').waitFor();
    expect(await page.getByTestId('sync').textContent()).toContain('Local only');
    await page.getByTestId('doctor').waitFor();
    await shot('data');
  });

  it('switches to the light theme from the keyboard-reachable toggle', async () => {
    await page.goto(`${app.url}/#/models`);
    await page.locator('main h2').waitFor();
    await page.keyboard.press('1');
    await page.getByTestId('overview-table').waitFor();
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await shot('overview-light');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(pageErrors).toEqual([]);
  });
});

/** A small token with an owner-only mint, a tx.origin check and a reentrant withdraw. */
const TEST_CONTRACT = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

contract TestVault {
    address public owner;
    mapping(address => uint256) public balances;
    uint256 public totalSupply;

    constructor() {
        owner = msg.sender;
    }

    function mint(address to, uint256 amount) external {
        require(tx.origin == owner, "not owner");
        balances[to] += amount;
        totalSupply += amount;
    }

    function deposit() external payable {
        balances[msg.sender] += msg.value;
    }

    function withdraw() external {
        uint256 amount = balances[msg.sender];
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send failed");
        balances[msg.sender] = 0;
    }
}
`;

describe('contract audit', () => {
  it('audits a Solidity file: findings by severity, lines highlighted beside the source, score and checklist', async () => {
    const expected = await app.services.client.call('audit.source', { files: [{ path: 'TestVault.sol', content: TEST_CONTRACT }] });
    expect(expected.findings.length).toBeGreaterThan(0);
    await page.goto(`${app.url}/#/audit`);
    await page.getByLabel('Solidity files').setInputFiles({ name: 'TestVault.sol', mimeType: 'text/plain', buffer: Buffer.from(TEST_CONTRACT) });
    await page.getByTestId('audit-report').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('audit-score').textContent()).toBe(`Score ${expected.score}/100`);
    // Every finding, grouped in severity order.
    const shown = await page.getByTestId('finding').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-swc')}@${e.getAttribute('data-lines')}`));
    const order = ['high', 'medium', 'low', 'info'];
    const sorted = [...expected.findings].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
    expect(shown).toEqual(sorted.map((f) => `${f.swc}@${f.line}-${f.endLine}`));
    // tx.origin authentication (SWC-115) sits on the require line of mint().
    const txOrigin = expected.findings.find((f) => f.swc === 'SWC-115')!;
    const requireLine = TEST_CONTRACT.split('\n').findIndex((l) => l.includes('tx.origin')) + 1;
    expect(txOrigin.line).toBe(requireLine);
    await page.locator(`[data-testid="finding"][data-swc="SWC-115"]`).first().click();
    const highlighted = await page.locator('[data-testid="source"] .line.hl').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))));
    expect(highlighted).toEqual(Array.from({ length: txOrigin.endLine - txOrigin.line + 1 }, (_, i) => txOrigin.line + i));
    expect(await page.locator(`[data-testid="source"] [data-line="${requireLine}"]`).textContent()).toContain('tx.origin == owner');
    expect(await page.getByTestId('audit-report').textContent()).toContain(txOrigin.recommendation.slice(0, 40));
    const risks = await page.getByTestId('token-risk').locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-risk')));
    expect(risks).toEqual(Object.keys(expected.tokenRisk));
    await shot('audit');
  });

  it('shows what the server answers when an address cannot be audited', async () => {
    const address = '0x794a61358d6845594f94dc1db02a252b5b4814ad';
    // What the HTTP API answers for this call (no explorer key or RPC in the test), shown as is.
    const answer = (await (await fetch(`${app.url}/api/audit.address`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address }) })).json()) as { ok: boolean; error: { code: string; message: string } };
    expect(answer.ok).toBe(false);
    await page.getByLabel('Contract address').fill(address);
    await page.getByRole('button', { name: 'Audit address' }).click();
    const err = page.getByRole('alert').first();
    await err.waitFor({ timeout: 30_000 });
    expect(page.url()).toContain(`#/audit/${address}`);
    expect(await err.textContent()).toContain(`${answer.error.code}: ${answer.error.message}`);
  });
});

describe('models', () => {
  it('shows a trained version’s validation, and its scores in the overview and the asset', async () => {
    const model = await app.services.client.call('ml.train', { until: '2021-12-31', folds: 2, trainStride: 10, gbmIterations: 15, rfTrees: 6, nnEpochs: 1 });
    await page.goto(`${app.url}/#/models`);
    await page.getByTestId('models-versions').locator(`tr[data-row-id="${model.version}"]`).waitFor();
    await page.getByTestId('model-detail').waitFor();
    const ensembleIc = await page.getByTestId('metrics-table').locator('tr[data-row-id="ensemble"] td[data-col="meanIc"]').textContent();
    expect(ensembleIc).toBe(model.metrics.ensemble.meanIc === null ? '—' : model.metrics.ensemble.meanIc.toFixed(3));
    const detail = await app.services.client.call('ml.model', { version: model.version });
    const ic = await chartSummary<{ series: Summary['series'] }>(page, 'chart-ic');
    const ens = ic.series.find((x) => x.key === 'ensemble')!;
    expect(ens.points).toBe(detail.icSeries.ensemble.length);
    expect(ens.last).toEqual([detail.icSeries.ensemble.at(-1)!.day, detail.icSeries.ensemble.at(-1)!.ic]);
    await page.getByTestId('ab').waitFor();
    await shot('models');
    await page.getByLabel('Retrain interval in hours').fill('24');
    await page.getByRole('button', { name: 'Set schedule' }).click();
    await page.getByText('Schedule: every 24 h').waitFor();
    expect((await app.services.client.call('ml.schedule', {})).intervalHours).toBe(24);
    await page.getByLabel('Retrain interval in hours').fill('');
    await page.getByRole('button', { name: 'Set schedule' }).click();
    await page.getByText('Schedule: on demand only').waitFor();

    // The overview now ranks by score. This version's scores are of 2021-12-31, far behind the
    // data's end: no current distribution, a notice with their day, and greyed scores in the table.
    await page.goto(`${app.url}/#/overview`);
    await page.reload();
    await page.getByTestId('overview-table').waitFor();
    const scores = all<{ asset_id: string; score: number; day: string }>(
      `SELECT asset_id, score, day FROM ml_predictions WHERE model_version = ? AND score IS NOT NULL AND day = (SELECT MAX(day) FROM ml_predictions WHERE model_version = ?)
         AND asset_id IN ${CURRENT} ORDER BY score DESC`,
      model.version,
      model.version,
    );
    expect(await page.getByTestId('scores-stale').textContent()).toContain(scores[0]!.day);
    expect((await visibleRowIds())[0]).toBe(scores[0]!.asset_id);
    expect(await page.locator(`tr[data-row-id="${scores[0]!.asset_id}"] td[data-col="score"] .stale`).count()).toBe(1);
    await shot('overview-scored');

    await page.goto(`${app.url}/#/asset/AAVE`);
    await page.getByTestId('models-table').waitFor();
    const aave = one<{ score: number }>(`SELECT score FROM ml_predictions WHERE model_version = ? AND asset_id = 'AAVE' ORDER BY day DESC LIMIT 1`, model.version);
    expect(await page.getByTestId('models-table').locator(`tr[data-row-id="${model.version}"] td[data-col="score"]`).textContent()).toBe(aave.score.toFixed(0));
    // Drivers by label (a feature and its universe standing summed), never by feature key.
    const contributions = await chartSummary<Record<string, number>>(page, 'chart-contributions');
    const stored = JSON.parse(one<{ c: string }>(`SELECT contributions AS c FROM ml_predictions WHERE model_version = ? AND asset_id = 'AAVE' ORDER BY day DESC LIMIT 1`, model.version).c) as { feature: string; contribution: number }[];
    const byLabel: Record<string, number> = {};
    for (const x of stored) {
      const label = readFeature(x.feature.replace(/^rank_/, ''), null).label;
      byLabel[label] = (byLabel[label] ?? 0) + x.contribution;
    }
    expect(Object.keys(contributions).sort()).toEqual(Object.keys(byLabel).sort());
    for (const [k, v] of Object.entries(byLabel)) expect(contributions[k]).toBeCloseTo(v, 9);
    for (const k of Object.keys(contributions)) expect(k).not.toMatch(/^[a-z]+(_[a-z0-9]+)+$/);
    const history = await waitForSummary('chart-score', (x) => x.total > 0);
    expect(history.series[0]!.last![1]).toBe(aave.score);
    await page.getByTestId('models-table').scrollIntoViewIfNeeded();
    await shot('asset-detail-scored');
    expect(pageErrors).toEqual([]);
  }, 240_000); // training runs off the main thread and shares the CPUs with the rest of the suite
});
