/**
 * The analyst UI in Chromium against the headless server on the bundled dataset:
 * overview interactive after navigation, asset detail with four years of daily data in every
 * chart, sorting the full table, and a 100,000-point series (downsampled by the server).
 * Needs the built renderer (npm run build) and /usr/bin/chromium.
 */
import os from 'node:os';
import type { Page } from 'playwright-core';
import { launchChromium, newPage, startApp, type RunningApp } from '../test/e2e/harness';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (xs: number[]): string => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** Milliseconds from navigation start until the overview table shows rows. */
async function overviewInteractive(page: Page, url: string): Promise<number> {
  // From another document: going to the same URL again would be a same-document hash change,
  // where performance.now() keeps counting from the first load.
  await page.goto('about:blank');
  await page.goto(`${url}/#/overview`, { waitUntil: 'commit' });
  await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
  return page.evaluate('performance.now()') as Promise<number>;
}

/** Milliseconds from an in-app navigation to the asset until every chart panel has drawn or said it has no data. */
async function detailReady(page: Page, assetId: string): Promise<number> {
  return page.evaluate(
    `new Promise((resolve) => {
      const t0 = performance.now();
      location.hash = '#/asset/${assetId}';
      const check = () => {
        const panels = [...document.querySelectorAll('.chart-panel')];
        const done = panels.length >= 7 && panels.every((p) => p.querySelector('.chart[data-summary]') || p.querySelector('.state.empty'));
        if (done) requestAnimationFrame(() => resolve(performance.now() - t0));
        else setTimeout(check, 5);
      };
      check();
    })`,
  ) as Promise<number>;
}

/** Resolves with performance.now() once the price chart has drawn (its element exists, then a frame). */
const PRICE_CHART_DRAWN = `new Promise((resolve) => {
  const check = () => (document.querySelector('[data-testid="chart-price"][data-summary]') ? requestAnimationFrame(() => resolve(performance.now())) : setTimeout(check, 5));
  check();
})`;

/**
 * Milliseconds from navigation to the asset page's drawn price chart: loading the page's URL
 * (cold: the app, the data and the chart library all load) and clicking through from the overview.
 */
type Waterfall = Record<string, number[]>;

/** When each step of a load starts or ends (ms after `t0`, from the resource timings of what was fetched after it): the order shows what waits on what. */
async function noteWaterfall(page: Page, waterfall: Waterfall, t0: number, drawn: number): Promise<void> {
  const entries = (await page.evaluate(`performance.getEntriesByType('resource').map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd }))`)) as { name: string; start: number; end: number }[];
  const first = (re: RegExp) => entries.find((e) => e.start >= t0 && re.test(e.name));
  const note = (key: string, v: number | undefined) => {
    waterfall[key] ??= [];
    if (v !== undefined) waterfall[key].push(v - t0);
  };
  const nav = (await page.evaluate(`(() => { const n = performance.getEntriesByType('navigation')[0]; return n ? { html: n.responseEnd, dcl: n.domContentLoadedEventEnd } : null; })()`)) as { html: number; dcl: number } | null;
  if (t0 === 0 && nav) note('page HTML answered', nav.html);
  note('app code loaded', first(/\/assets\/index-[^/]*\.js/)?.end);
  note('page code asked', first(/AssetDetail-[^/]*\.js/)?.start);
  note('price series asked', first(/\/api\/ui\.series/)?.start);
  note('chart library asked', first(/EChart-[^/]*\.js/)?.start);
  note('chart library loaded', first(/EChart-[^/]*\.js/)?.end);
  note('asset facts answered', first(/\/api\/assets\.get/)?.end);
  note('price series answered', first(/\/api\/ui\.series/)?.end);
  if (t0 === 0 && nav) note('DOM content loaded', nav.dcl);
  note('price chart drawn', drawn);
}

async function priceChartFigures(page: Page, url: string, assets: readonly string[]): Promise<{ cold: number[]; inApp: number[]; waterfall: Waterfall; inAppWaterfall: Waterfall }> {
  const cold: number[] = [];
  const inApp: number[] = [];
  const waterfall: Waterfall = {};
  const inAppWaterfall: Waterfall = {};
  for (const asset of assets) {
    // A new document each time: nothing of the renderer is cached but what the browser's HTTP cache keeps.
    await page.goto('about:blank');
    await page.goto(`${url}/#/asset/${asset}`, { waitUntil: 'commit' });
    const drawn = (await page.evaluate(PRICE_CHART_DRAWN)) as number;
    cold.push(drawn);
    await noteWaterfall(page, waterfall, 0, drawn);
  }
  for (const asset of [...assets].reverse()) {
    await page.goto('about:blank');
    await overviewInteractive(page, url);
    const [t0, drawn] = (await page.evaluate(`(async () => { const t0 = performance.now(); location.hash = '#/asset/${asset}'; return [t0, await ${PRICE_CHART_DRAWN}]; })()`)) as [number, number];
    inApp.push(drawn - t0);
    await noteWaterfall(page, inAppWaterfall, t0, drawn);
  }
  return { cold, inApp, waterfall, inAppWaterfall };
}

/** Milliseconds for a header click to re-sort the whole table and paint. */
async function sortOnce(page: Page, col: string): Promise<number> {
  return page.evaluate(
    `new Promise((resolve) => {
      const th = document.querySelector('[data-testid="overview-table"] th[data-col="${col}"]');
      const t0 = performance.now();
      th.click();
      requestAnimationFrame(() => resolve(performance.now() - t0));
    })`,
  ) as Promise<number>;
}

async function sortFigures(page: Page): Promise<void> {
  const times: number[] = [];
  for (const col of ['price', 'marketCap', 'return30d', 'symbol', 'volume', 'return7d']) {
    for (let i = 0; i < 3; i++) times.push(await sortOnce(page, col));
  }
  const rows = await page.getByTestId('overview-table-count').textContent();
  console.log(`sort the full table (${rows}): ${fmt(times)}  [target < 100 ms]`);
}

/** A synthetic asset with `n` daily closes (a random walk), written like an import. */
function addLongSeries(app: RunningApp, assetId: string, n: number): void {
  const store = app.services.core.store;
  const now = new Date().toISOString();
  store.write('crypto_assets', [{ asset_id: assetId, symbol: assetId, name: `Synthetic ${n.toLocaleString('en-US')}-day series`, category: 'other', source: 'bench', updated_at: now }], { origin: 'import' });
  const rows: Record<string, unknown>[] = [];
  let price = 100;
  const start = Date.parse('1750-01-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    price *= Math.exp(0.02 * Math.sin(i * 12.9898) * Math.cos(i * 78.233));
    rows.push({ asset_id: assetId, day: new Date(start + i * 86_400_000).toISOString().slice(0, 10), source: 'bench', close: price, volume_usd: price * 1e6, market_cap: price * 1e7, updated_at: now });
  }
  store.write('financial_metrics', rows, { origin: 'import' });
}

/** `n` extra priced assets so the overview table holds thousands of rows. */
function addManyAssets(app: RunningApp, n: number): void {
  const store = app.services.core.store;
  const now = new Date().toISOString();
  const assets: Record<string, unknown>[] = [];
  const prices: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const id = `SYN${i}`;
    assets.push({ asset_id: id, symbol: id, name: `Synthetic ${i}`, category: ['dex', 'lending', 'L1', 'other'][i % 4], source: 'bench', updated_at: now });
    for (const [day, f] of [['2024-06-30', 1], ['2024-06-23', 0.9 + (i % 7) / 30], ['2024-05-31', 0.8 + (i % 11) / 20]] as const) {
      prices.push({ asset_id: id, day, source: 'bench', close: (1 + (i % 97)) * f, volume_usd: 1e5 * (1 + (i % 13)), market_cap: 1e6 * (1 + ((i * 7919) % 5003)), updated_at: now });
    }
  }
  store.write('crypto_assets', assets, { origin: 'import' });
  store.write('financial_metrics', prices, { origin: 'import' });
}

export async function run(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (figures scale with load)`);
  const app = await startApp();
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    const cold = await overviewInteractive(page, app.url);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push(await overviewInteractive(page, app.url));
    console.log(`overview interactive after navigation (bundled data, 148 assets): first load ${cold.toFixed(0)} ms; reloads ${fmt(warm)}  [target < 1.5 s]`);

    const chart = await priceChartFigures(page, app.url, ['AAVE', 'UNI', 'CRV', 'SUSHI', 'COMP']);
    console.log(`asset page, navigation to the drawn price chart: loading its URL ${fmt(chart.cold)}; from the overview ${fmt(chart.inApp)}  [target < 1 s]`);
    const steps = (w: Waterfall): string => Object.entries(w).map(([k, v]) => `${k} ${v.length ? median(v).toFixed(0) : '-'} ms`).join(', ');
    console.log(`  loading its URL, medians after navigation: ${steps(chart.waterfall)}`);
    console.log(`  from the overview, medians after navigation (a step not fetched again is absent): ${steps(chart.inAppWaterfall)}`);
    // DEFIMON_BENCH_UI=asset-chart: only the figures above.
    if (process.env.DEFIMON_BENCH_UI === 'asset-chart') return;

    const detail: number[] = [];
    for (const asset of ['AAVE', 'UNI', 'CRV', 'SUSHI', 'COMP']) {
      await page.goto(`${app.url}/#/overview`);
      await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
      detail.push(await detailReady(page, asset));
    }
    const pts = await page.getByTestId('chart-price').getAttribute('data-summary');
    console.log(`asset detail, 4 years of daily data in every chart (price, volume+mcap, TVL, revenue, dev, on-chain, score; ${JSON.parse(pts ?? '{}').total} price days): ${fmt(detail)}  [target < 1 s]`);

    await page.goto(`${app.url}/#/overview`);
    await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
    await sortFigures(page);

    addManyAssets(app, 5000);
    await page.goto(`${app.url}/#/overview`);
    await page.reload();
    await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
    const bigLoad = (await page.evaluate('performance.now()')) as number;
    console.log(`overview with 5,148 assets: interactive after ${bigLoad.toFixed(0)} ms`);
    await sortFigures(page);
    const scroll = (await page.evaluate(
      `new Promise((resolve) => {
        const el = document.querySelector('.table-scroll');
        const frames = [];
        let last = performance.now();
        let i = 0;
        const step = () => {
          el.scrollTop += 900;
          const now = performance.now();
          frames.push(now - last);
          last = now;
          if (++i < 120) requestAnimationFrame(step); else resolve(frames);
        };
        requestAnimationFrame(step);
      })`,
    )) as number[];
    console.log(`scrolling 5,148 rows (120 frames, 900 px each): frame ${fmt(scroll.slice(1))}, DOM rows ${await page.locator('[data-testid="overview-table"] tbody tr[data-row-id]').count()}`);

    const N = 100_000;
    addLongSeries(app, 'BENCH100K', N);
    const t0 = performance.now();
    const full = await app.services.client.call('ui.series', { assetId: 'BENCH100K', family: 'market', maxPoints: 200_000 });
    const tFull = performance.now() - t0;
    const t1 = performance.now();
    const down = await app.services.client.call('ui.series', { assetId: 'BENCH100K', family: 'market', maxPoints: 2000 });
    const tDown = performance.now() - t1;
    console.log(
      `100,000-point series, server: full ${full.days.length.toLocaleString('en-US')} points in ${tFull.toFixed(0)} ms (${(JSON.stringify(full).length / 1e6).toFixed(1)} MB JSON); downsampled to ${down.days.length} points in ${tDown.toFixed(0)} ms (${(JSON.stringify(down).length / 1e3).toFixed(0)} kB)`,
    );
    await page.goto(`${app.url}/#/overview`);
    await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
    const long: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${app.url}/#/overview`);
      await page.waitForSelector('[data-testid="overview-table"] tbody tr[data-row-id]');
      long.push(await detailReady(page, 'BENCH100K'));
    }
    // The whole 100,000 days: the server keeps ~2,000 points (each bucket's first, low, high, last).
    const tAll = performance.now();
    await page.getByRole('button', { name: 'All', exact: true }).click();
    for (;;) {
      const raw = await page.getByTestId('chart-price').getAttribute('data-summary');
      if (raw && (JSON.parse(raw) as { total: number }).total === N) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const allMs = performance.now() - tAll;
    // Responsiveness: zoom the price chart with the mouse wheel and time each frame.
    const box = (await page.getByTestId('chart-price').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.evaluate(`window.__frames = []; (function loop(last) { requestAnimationFrame((now) => { window.__frames.push(now - last); if (window.__frames.length < 90) loop(now); }); })(performance.now())`);
    for (let i = 0; i < 30; i++) await page.mouse.wheel(0, i < 15 ? -300 : 300);
    while (((await page.evaluate('window.__frames.length')) as number) < 90) await new Promise((r) => setTimeout(r, 50));
    const frames = (await page.evaluate('window.__frames')) as number[];
    const summary = JSON.parse((await page.getByTestId('chart-price').getAttribute('data-summary')) ?? '{}') as { total: number; series: { points: number }[] };
    console.log(
      `100,000-point series, browser: detail ready (4Y range) ${fmt(long)}; range "All" drawn in ${allMs.toFixed(0)} ms (chart holds ${summary.series[0]?.points} of ${summary.total} points); wheel-zooming it: frame ${fmt(frames.slice(1))}, worst ${Math.max(...frames.slice(1)).toFixed(0)} ms`,
    );
  } finally {
    await browser.close();
    await app.close();
  }
}
