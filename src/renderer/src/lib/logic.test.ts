/** The renderer's logic without a browser: formats, CSV, chart options from data, table filters, ranges, routes. */
import { describe, expect, it } from 'vitest';
import type { OverviewRow } from '../../../shared/contract/ui';
import { chartCaption, contributionsOption, EXPORT_HEADER_PX, exportOption, forLogAxis, LEGEND_LINE_PX, legendLines, scoreHistogram, summarizeSeries, timeSeriesOption } from './chart-options';
import { withPngText } from './png-text';
import { readPng } from '../../../../test/helpers/png';
import { toCsv } from './csv';
import { formatCount, formatPct, formatRate, formatShare, formatUsd, formatUtc, serviceState } from './format';
import { filterOverview, NO_FILTERS, parseUsdAmount, staleSpan, topMovers } from './overview-filter';
import { firstCalls } from './first-sight';
import { modelName } from '../../../shared/model-names';
import { CHART_POINTS, DEFAULT_RANGE, RANGES, rangeBounds, seriesInput } from './range';
import { parseRoute, routeHash } from './route';
import { valuesPatch, type Values, collectPatch, boundsText, issuesByKey } from './settings-patch';

describe('formats', () => {
  it('writes compact USD, signed percentages and UTC times', () => {
    expect(formatUsd(1_240_000_000_000)).toBe('$1.24T');
    expect(formatUsd(412_680_000_000)).toBe('$412.68B');
    expect(formatUsd(-2_500_000)).toBe('-$2.5M');
    expect(formatUsd(97.01364)).toBe('$97.01');
    expect(formatUsd(0.0004567)).toBe('$0.000457');
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd(Number.NaN)).toBe('—');
    expect(formatPct(0.20353)).toBe('+20.4%');
    expect(formatPct(-0.0656)).toBe('-6.6%');
    expect(formatPct(-0.00001)).toBe('0.0%');
    expect(formatShare(0.456)).toBe('46%');
    expect(formatCount(127)).toBe('127');
    expect(formatCount(224_100)).toBe('224.1K');
    expect(formatUtc('2024-06-30T23:59:10.000Z')).toBe('2024-06-30 23:59 UTC');
    expect(formatUtc('2024-07-01T01:30:00+02:00')).toBe('2024-06-30 23:30 UTC');
  });
});

describe('rates and service states', () => {
  it('writes a rate per second, per minute or per hour, whichever reads as a plain number', () => {
    expect(formatRate(5)).toBe('5/s');
    expect(formatRate(25)).toBe('25/s');
    expect(formatRate(1)).toBe('1/s');
    expect(formatRate(0.5)).toBe('30/min');
    expect(formatRate(10 / 60)).toBe('10/min');
    expect(formatRate(5000 / 3600)).toBe('1.39/s');
    expect(formatRate(0.01)).toBe('36/h');
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(null)).toBe('—');
  });

  it('never calls a service that is not configured "ok"', () => {
    expect(serviceState({ ok: true, configured: false })).toBe('not configured');
    expect(serviceState({ ok: true, configured: true })).toBe('ok');
    expect(serviceState({ ok: false, configured: true })).toBe('failing');
  });
});

describe('CSV', () => {
  it('quotes what would break a field and defuses formulas', () => {
    const csv = toCsv(['Symbol', 'Name', 'Price'], [
      ['AAVE', 'Aave, "the" lender', 97.01],
      ['X', '=HYPERLINK("x")', null],
      ['Y', 'two\nlines', -1.5],
    ]);
    expect(csv).toBe('Symbol,Name,Price\r\nAAVE,"Aave, ""the"" lender",97.01\r\nX,"\'=HYPERLINK(""x"")",\r\nY,"two\nlines",-1.5\r\n');
  });
});

const series = {
  days: ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
  series: [
    { key: 'close', label: 'Price', unit: 'usd' as const, values: [null, 2, 0.5, 3] },
    { key: 'volume', label: 'Volume', unit: 'usd' as const, values: [10, 0, 20, null] },
    { key: 'authors', label: 'Authors', unit: 'count' as const, values: [1, 2, 3, 4] },
  ],
};

describe('chart options from data', () => {
  it('summarises what each series shows', () => {
    const [close, volume] = summarizeSeries(series.days, series.series);
    expect(close).toEqual({ key: 'close', points: 3, first: ['2024-01-02', 2], last: ['2024-01-04', 3], min: 0.5, max: 3 });
    expect(volume).toEqual({ key: 'volume', points: 3, first: ['2024-01-01', 10], last: ['2024-01-03', 20], min: 0, max: 20 });
  });

  it('builds one axis per unit, bars where asked, and gaps for a log axis', () => {
    const opt = timeSeriesOption(series, { keys: ['close', 'volume', 'authors'], bars: ['volume'], log: true }) as {
      yAxis: { type: string; position: string }[];
      series: { name: string; type: string; yAxisIndex: number; data: [string, number | null][] }[];
    };
    expect(opt.yAxis.map((a) => [a.type, a.position])).toEqual([
      ['log', 'left'],
      ['log', 'right'],
    ]);
    expect(opt.series.map((s) => [s.name, s.type, s.yAxisIndex])).toEqual([
      ['Price', 'line', 0],
      ['Volume', 'bar', 0],
      ['Authors', 'line', 1],
    ]);
    // Zero volume cannot sit on a log axis: it becomes a gap; values keep their days.
    expect(opt.series[1]!.data).toEqual([
      ['2024-01-01', 10],
      ['2024-01-02', null],
      ['2024-01-03', 20],
      ['2024-01-04', null],
    ]);
    expect(forLogAxis([-1, 0, 1, null])).toEqual([null, null, 1, null]);
    const linear = timeSeriesOption(series, { keys: ['volume'], from: '2023-12-01', to: '2024-01-31' }) as { xAxis: { min: string; max: string }; yAxis: { type: string }[]; series: { data: unknown[] }[] };
    expect([linear.xAxis.min, linear.xAxis.max]).toEqual(['2023-12-01', '2024-01-31']);
    expect(opt).not.toHaveProperty('xAxis.min');
    expect(linear.yAxis.map((a) => a.type)).toEqual(['value']);
    expect(linear.series[0]!.data[1]).toEqual(['2024-01-02', 0]);
  });

  it('bins scores 0-100 and orders contributions by size', () => {
    const bins = scoreHistogram([0, 9.99, 10, 55, 99, 100, null, Number.NaN]);
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(bins[0]!.label).toBe('0-10');
    const opt = contributionsOption({ momentum: 0.3, tvl: -0.5, dev: 0.1 }) as { yAxis: { data: string[] }; series: { data: { value: number; itemStyle: { color: string } }[] }[] };
    // Largest magnitude on top (the last category of a horizontal bar chart).
    expect(opt.yAxis.data).toEqual(['dev', 'momentum', 'tvl']);
    expect(opt.series[0]!.data.map((d) => d.itemStyle.color)).toEqual(['#3fb950', '#3fb950', '#f85149']);
  });
});

const row = (o: Partial<OverviewRow> & { assetId: string }): OverviewRow => ({
  symbol: o.assetId,
  name: o.assetId,
  category: null,
  chains: [],
  lastDay: '2024-06-30',
  marketSource: 'coingecko',
  staleSince: o.lastDay && o.lastDay < '2024-05-31' ? o.lastDay : null,
  price: 1,
  return7d: null,
  return30d: null,
  marketCap: null,
  marketCapDay: null,
  marketCapSource: null,
  marketCapStale: false,
  volume: null,
  volumeDay: null,
  volumeSource: null,
  volumeStale: false,
  tvl: null,
  tvlDay: null,
  tvlSource: null,
  tvlScope: null,
  tvlStale: false,
  revenue30d: null,
  revenueDay: null,
  revenueSource: null,
  revenueKind: null,
  revenueStale: false,
  commits12w: null,
  devWeek: null,
  devStale: false,
  score: null,
  confidence: null,
  scoreDay: null,
  scoreStale: false,
  auditScore: null,
  contracts: 0,
  ...o,
});

describe('overview table state', () => {
  const rows = [
    row({ assetId: 'AAVE', name: 'Aave', category: 'lending', chains: ['polygon', 'ethereum'], marketCap: 1.4e9, return7d: 0.2, auditScore: 70 }),
    row({ assetId: 'GHST', name: 'Aavegotchi', category: 'gaming', chains: ['polygon'], marketCap: 5e7, return7d: -0.1 }),
    row({ assetId: 'BTC', name: 'Bitcoin', category: 'L1', marketCap: 1.2e12, return7d: -0.01 }),
    row({ assetId: 'FTM', name: 'Fantom', category: 'L1', marketCap: 4e9, return7d: 0.5, lastDay: '2022-02-17' }),
  ];
  const ids = (r: OverviewRow[]): string[] => r.map((x) => x.assetId);

  it('filters by search, category, chain, market cap, audit and watchlist', () => {
    expect(ids(filterOverview(rows, { ...NO_FILTERS, search: 'aave' }, new Set()))).toEqual(['AAVE', 'GHST']);
    // FTM's market data stopped in 2022: out of the default list, back behind the stale filter.
    expect(ids(filterOverview(rows, { ...NO_FILTERS, category: 'L1' }, new Set()))).toEqual(['BTC']);
    expect(ids(filterOverview(rows, { ...NO_FILTERS, category: 'L1', includeStale: true }, new Set()))).toEqual(['BTC', 'FTM']);
    expect(staleSpan(rows)).toEqual({ count: 1, from: '2022-02-17', to: '2022-02-17' });
    expect(ids(filterOverview(rows, { ...NO_FILTERS, chain: 'polygon' }, new Set()))).toEqual(['AAVE', 'GHST']);
    expect(ids(filterOverview(rows, { ...NO_FILTERS, minMarketCap: 1e9 }, new Set()))).toEqual(['AAVE', 'BTC']);
    expect(ids(filterOverview(rows, { ...NO_FILTERS, hasAudit: true }, new Set()))).toEqual(['AAVE']);
    expect(ids(filterOverview(rows, { ...NO_FILTERS, watchedOnly: true }, new Set(['BTC'])))).toEqual(['BTC']);
    expect(ids(filterOverview(rows, { ...NO_FILTERS, search: 'aave', chain: 'ethereum' }, new Set()))).toEqual(['AAVE']);
  });

  it('picks movers among assets priced on the latest day only', () => {
    const m = topMovers(rows, '2024-06-30', 2);
    expect(ids(m.up)).toEqual(['AAVE']); // FTM rose more but stopped trading in 2022
    expect(ids(m.down)).toEqual(['GHST', 'BTC']);
  });

  it('reads market cap amounts the way analysts type them', () => {
    expect(parseUsdAmount('1.5B')).toBe(1.5e9);
    expect(parseUsdAmount('$250m')).toBe(2.5e8);
    expect(parseUsdAmount('10k')).toBe(1e4);
    expect(parseUsdAmount('')).toBe(0);
    expect(parseUsdAmount('lots')).toBeNull();
  });
});

describe('ranges, routes and settings', () => {
  it('bounds ranges in UTC days', () => {
    expect(rangeBounds('3m', '2024-06-30')).toEqual({ from: '2024-04-01', to: '2024-06-30' });
    expect(rangeBounds('1y', '2024-06-30')).toEqual({ from: '2023-07-02', to: '2024-06-30' });
    expect(rangeBounds('all', '2024-06-30')).toEqual({});
    expect(rangeBounds('1y', null)).toEqual({});
  });

  it('round-trips routes', () => {
    for (const r of [{ view: 'overview' }, { view: 'asset', assetId: '137:0xabc' }, { view: 'audit', address: '0x794a61358d6845594f94dc1db02a252b5b4814ad' }, { view: 'settings' }] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
    expect(parseRoute('#/nowhere')).toEqual({ view: 'overview' });
    expect(parseRoute('')).toEqual({ view: 'overview' });
  });

  it('starts an asset page’s first calls with exactly the inputs its price chart and facts ask for', () => {
    // A call started ahead is taken over only by an identical call: same method, same JSON body.
    const calls = firstCalls(parseRoute('#/asset/137%3A0xabc')).map(([m, input]) => `${m} ${JSON.stringify(input)}`);
    const lastDays = RANGES.find((r) => r.id === DEFAULT_RANGE)?.days ?? undefined;
    expect(calls).toEqual([`ui.series ${JSON.stringify(seriesInput('137:0xabc', 'market', lastDays, CHART_POINTS))}`, `assets.get ${JSON.stringify({ assetId: '137:0xabc' })}`]);
    expect(firstCalls(parseRoute('#/overview'))).toEqual([]);
  });

  it('sends only what changed, and null to restore a default', () => {
    const values = { horizonDays: 30, chainId: 137, logLevel: 'info', autoImport: true, autoCollect: true, collect: {}, redisPrefix: 'defimon:', etherscanBaseUrl: 'https://a', coingeckoBaseUrl: 'https://b', defillamaBaseUrl: 'https://c', githubBaseUrl: 'https://d', hfEndpointUrl: null, updates: { enabled: false, feedUrl: null } } satisfies Values;
    expect(valuesPatch(values, {}, 'info', true)).toEqual({});
    expect(valuesPatch(values, { horizonDays: '45', chainId: '137', hfEndpointUrl: '' }, 'debug', false)).toEqual({ horizonDays: 45, logLevel: 'debug', autoImport: false });
    expect(valuesPatch(values, { githubBaseUrl: '  ' }, 'info', true)).toEqual({ githubBaseUrl: null });
  });

  it('sends the changed collector tunables as a nested collect patch, null to restore a default', () => {
    const field = (key: string, stored: number | null) => ({ key, group: '', description: '', type: 'int' as const, min: 1, minInclusive: true, max: 1000, default: 100, stored, envVar: null, envOverridden: false });
    const fields = [field('collect.chain.batchSize', null), field('collect.chain.maxRange', 5000), field('collect.concurrency', 3)];
    expect(collectPatch(fields, {})).toEqual({});
    expect(collectPatch(fields, { 'collect.chain.batchSize': ' 50 ', 'collect.chain.maxRange': '', 'collect.concurrency': '3' })).toEqual({ chain: { batchSize: 50, maxRange: null } });
    expect(collectPatch(fields, { 'collect.concurrency': 'many' })).toEqual({ concurrency: 'many' });
    expect(boundsText({ min: 1, minInclusive: true, max: 1000 })).toBe('1 – 1000');
    expect(boundsText({ min: 0, minInclusive: false, max: 10 })).toBe('> 0, ≤ 10');
    expect(issuesByKey({ details: { issues: [{ path: 'collect.chain.batchSize', message: 'too big' }] } })).toEqual({ 'collect.chain.batchSize': 'too big' });
    expect(issuesByKey(new Error('x'))).toEqual({});
  });
});

describe('chart exports', () => {
  it('title the chart with the asset, the range and the data’s attribution, above the same plot', () => {
    const caption = chartCaption({ title: 'Price (USD, daily close)', symbol: 'AAVE', rangeLabel: '4Y', from: '2020-07-01', to: '2024-06-30', family: 'market' });
    expect(caption).toMatchObject({ asset: 'AAVE', range: '4Y: 2020-07-01 to 2024-06-30 (UTC days)' });
    expect(caption.attribution).toMatch(/CoinGecko/);
    expect(chartCaption({ title: 'TVL', symbol: 'UNI', rangeLabel: 'All', from: null, to: null, family: 'tvl' }).attribution).toMatch(/Token Terminal.*DefiLlama/);
    const base = timeSeriesOption({ days: ['2024-06-29', '2024-06-30'], series: [{ key: 'close', label: 'Price', unit: 'usd', values: [1, 2] }] });
    const out = exportOption(base, caption, 800, true) as { title: { text: string; subtext: string }; grid: { top: number }; series: unknown };
    expect(out.title.text).toBe('AAVE: Price (USD, daily close)');
    expect(out.title.subtext).toBe(`${caption.range}\n${caption.attribution}`);
    expect(out.grid.top).toBe((base.grid as { top: number }).top + EXPORT_HEADER_PX);
    expect(out.series).toBe(base.series);
  });

  it('keeps a legend on one paging line on screen, and gives an export the lines its legend needs', () => {
    const labels = ['Revenue (Token Terminal / live)', 'Supply-side revenue (Token Terminal)', 'Revenue (DefiLlama)', 'Fees (DefiLlama)'];
    const option = timeSeriesOption({ days: ['2024-06-30'], series: labels.map((label, i) => ({ key: `k${i}`, label, unit: 'usd', values: [i] })) });
    expect((option.legend as { type: string }).type).toBe('scroll');
    // A series with no value in the range (a chain TVL for a protocol token) gets no legend entry.
    const withEmpty = timeSeriesOption({ days: ['2024-06-29', '2024-06-30'], series: [{ key: 'tvl', label: 'TVL', unit: 'usd', values: [1, null] }, { key: 'chainTvl', label: 'Chain TVL', unit: 'usd', values: [null, null] }] });
    expect((withEmpty.series as { name: string }[]).map((s) => s.name)).toEqual(['TVL']);
    // Wide enough for all four on one line; narrower, they wrap; one short name never does.
    expect(legendLines(labels, 1600)).toBe(1);
    expect(legendLines(labels, 560)).toBeGreaterThanOrEqual(2);
    expect(legendLines(labels, 300)).toBe(4);
    expect(legendLines(['Price'], 300)).toBe(1);
    expect(legendLines([], 300)).toBe(0);
    const caption = chartCaption({ title: 'Revenue and fees', symbol: 'AAVE', rangeLabel: 'All', from: null, to: null, family: 'tvl' });
    const wide = exportOption(option, caption, 1600, true) as { legend: { type: string }; grid: { top: number } };
    const narrow = exportOption(option, caption, 300, true) as { legend: { type: string }; grid: { top: number } };
    expect(wide.legend.type).toBe('plain');
    expect(wide.grid.top).toBe((option.grid as { top: number }).top + EXPORT_HEADER_PX);
    expect(narrow.grid.top).toBe(wide.grid.top + 3 * LEGEND_LINE_PX);
  });

  it('embeds the caption as PNG text chunks after the header, keeping the image valid', () => {
    // A 1x1 PNG.
    const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
    const out = readPng(withPngText(png, { Title: 'AAVE: Price', Attribution: 'Data: CoinGecko · DefiLlama — ü' }));
    expect(out.chunks).toEqual(['IHDR', 'iTXt', 'iTXt', 'IDAT', 'IEND']);
    expect(out.text).toEqual({ Title: 'AAVE: Price', Attribution: 'Data: CoinGecko · DefiLlama — ü' });
    expect([out.width, out.height]).toEqual([1, 1]);
  });
});

describe('model names', () => {
  it('names every member and baseline of a model summary in words, and passes an unknown key through', () => {
    for (const key of ['ridge', 'rf', 'gbm', 'nn', 'ensemble', 'momentum', 'chance']) {
      expect(modelName(key)).not.toBe(key);
      expect(modelName(key)).toMatch(/^[A-Z][a-z]+( [a-z()]+)*/);
    }
    expect(new Set(['ridge', 'rf', 'gbm', 'nn'].map(modelName)).size).toBe(4);
    expect(modelName('svm')).toBe('svm');
  });
});
