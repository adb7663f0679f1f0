/** ECharts options built from contract data. Pure functions, so they are tested without a browser. */
import type { EChartsCoreOption } from 'echarts/core';
import type { Series, SeriesResult } from '../../../shared/contract/ui';
import { formatByUnit } from './format';

const PALETTE = ['#7aa2f7', '#e0af68', '#9ece6a', '#bb9af7', '#f7768e', '#7dcfff'];

export interface SeriesSummary {
  key: string;
  points: number;
  first: [string, number] | null;
  last: [string, number] | null;
  min: number | null;
  max: number | null;
}

/** What a chart shows, per series: the e2e tests compare this with the database. */
export function summarizeSeries(days: readonly string[], series: readonly Series[]): SeriesSummary[] {
  return series.map((s) => {
    let first: [string, number] | null = null;
    let last: [string, number] | null = null;
    let min: number | null = null;
    let max: number | null = null;
    let points = 0;
    s.values.forEach((v, i) => {
      if (v === null) return;
      points++;
      const day = days[i] as string;
      if (first === null) first = [day, v];
      last = [day, v];
      if (min === null || v < min) min = v;
      if (max === null || v > max) max = v;
    });
    return { key: s.key, points, first, last, min, max };
  });
}

/** A log axis cannot place zero or negative values: they become gaps. */
export function forLogAxis(values: readonly (number | null)[]): (number | null)[] {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}

export function timeSeriesOption(
  result: Pick<SeriesResult, 'days' | 'series'>,
  opts: { keys?: readonly string[]; log?: boolean; bars?: readonly string[]; dark?: boolean; from?: string | undefined; to?: string | undefined } = {},
): EChartsCoreOption {
  // A series with no value in the range draws nothing: it gets no legend entry or axis either.
  const shown = result.series.filter((s) => (!opts.keys || opts.keys.includes(s.key)) && s.values.some((v) => v !== null));
  const units = [...new Set(shown.map((s) => s.unit))];
  const axisColor = opts.dark === false ? '#57606a' : '#8b93a1';
  return {
    animation: false,
    backgroundColor: 'transparent',
    color: PALETTE,
    grid: { left: 64, right: units.length > 1 ? 64 : 20, top: 32, bottom: 64 },
    // One line above the plot: series that do not fit page with arrows instead of wrapping onto the axis.
    legend: { type: 'scroll', top: 0, textStyle: { color: axisColor } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross' },
    },
    // The selected range bounds the axis, so charts of one asset line up even where data stops early.
    xAxis: { type: 'time', axisLabel: { color: axisColor }, ...(opts.from ? { min: opts.from } : {}), ...(opts.to ? { max: opts.to } : {}) },
    yAxis: units.map((u, i) => ({
      type: opts.log ? 'log' : 'value',
      scale: true,
      position: i === 0 ? 'left' : 'right',
      axisLabel: { color: axisColor, formatter: (v: number) => formatByUnit(v, u) },
      splitLine: { show: i === 0, lineStyle: { color: opts.dark === false ? '#e5e7eb' : '#262c36' } },
    })),
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 20, bottom: 8 }],
    series: shown.map((s) => {
      const values = opts.log ? forLogAxis(s.values) : s.values;
      return {
        name: s.label,
        type: opts.bars?.includes(s.key) ? 'bar' : 'line',
        showSymbol: false,
        yAxisIndex: units.indexOf(s.unit),
        // Large series: ECharts' own LTTB sampling keeps the shape when zoomed out.
        sampling: 'lttb',
        connectNulls: false,
        data: result.days.map((d, i) => [d, values[i] ?? null]),
      };
    }),
  };
}

/** Counts of scores in equal bins over 0-100 (the last bin includes 100). */
export function scoreHistogram(scores: readonly (number | null)[], bins = 10): { label: string; count: number }[] {
  const width = 100 / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const s of scores) {
    if (s === null || !Number.isFinite(s)) continue;
    const i = Math.min(bins - 1, Math.max(0, Math.floor(s / width)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count, i) => ({ label: `${Math.round(i * width)}-${Math.round((i + 1) * width)}`, count }));
}

export function histogramOption(bins: readonly { label: string; count: number }[], dark = true): EChartsCoreOption {
  const axisColor = dark ? '#8b93a1' : '#57606a';
  return {
    animation: false,
    backgroundColor: 'transparent',
    grid: { left: 40, right: 10, top: 10, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: bins.map((b) => b.label), axisLabel: { color: axisColor } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: axisColor } },
    series: [{ type: 'bar', name: 'Assets', data: bins.map((b) => b.count), itemStyle: { color: PALETTE[0] } }],
  };
}

/** Horizontal bars, largest absolute contribution on top; positive green, negative red. */
export function contributionsOption(contributions: Record<string, number>, dark = true, top = 12): EChartsCoreOption {
  const entries = Object.entries(contributions)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, top)
    .reverse();
  const axisColor = dark ? '#8b93a1' : '#57606a';
  return {
    animation: false,
    backgroundColor: 'transparent',
    grid: { left: 160, right: 20, top: 10, bottom: 24 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', axisLabel: { color: axisColor } },
    yAxis: { type: 'category', data: entries.map((e) => e[0]), axisLabel: { color: axisColor } },
    series: [
      {
        type: 'bar',
        name: 'Contribution',
        data: entries.map(([, v]) => ({ value: v, itemStyle: { color: v >= 0 ? '#3fb950' : '#f85149' } })),
      },
    ],
  };
}

/** Past scores (line, right axis 0-100) against the following return relative to the median (bars, left axis). */
export function outcomesOption(points: readonly { day: string; score: number; relativeReturn: number | null }[], dark = true): EChartsCoreOption {
  const text = dark ? '#8b93a1' : '#57606a';
  return {
    animation: false,
    grid: { left: 56, right: 44, top: 24, bottom: 28 },
    legend: { top: 0, textStyle: { color: text }, data: ['Following return vs median', 'Score'] },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: points.map((p) => p.day), axisLabel: { color: text } },
    yAxis: [
      { type: 'value', axisLabel: { color: text, formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: { show: false } },
      { type: 'value', min: 0, max: 100, axisLabel: { color: text } },
    ],
    series: [
      { name: 'Following return vs median', type: 'bar', data: points.map((p) => ({ value: p.relativeReturn, itemStyle: { color: (p.relativeReturn ?? 0) >= 0 ? '#3fb950' : '#f85149' } })) },
      { name: 'Score', type: 'line', yAxisIndex: 1, showSymbol: false, data: points.map((p) => p.score), lineStyle: { color: '#58a6ff' } },
    ],
  };
}

/** What an exported chart carries: its title, the asset, the range and where the data comes from. */
export interface ChartCaption {
  title: string;
  asset: string;
  range: string;
  attribution: string;
}

/** Where each family's data comes from, as the exports credit it. */
const FAMILY_ATTRIBUTION: Record<SeriesResult['family'], string> = {
  market: 'CoinGecko, Binance (CryptoDataDownload), Yahoo Finance, CoinMarketCap; live: CoinGecko',
  tvl: 'Token Terminal (to 2022-02) and DefiLlama (to 2023-07), each its own series; live: DefiLlama',
  onchain: 'Polygon chain, read over JSON-RPC',
  development: 'commits counted from public git history; live: GitHub',
  score: 'DEFIMON models',
};

export function chartCaption(c: { title: string; symbol: string; rangeLabel: string; from: string | null; to: string | null; family: SeriesResult['family'] }): ChartCaption {
  const span = c.from && c.to ? `${c.from} to ${c.to}` : 'all days';
  return { title: c.title, asset: c.symbol, range: `${c.rangeLabel}: ${span} (UTC days)`, attribution: `Data: ${FAMILY_ATTRIBUTION[c.family]}` };
}

/** Room the export's title, subtitle and attribution take above the chart, in pixels. */
export const EXPORT_HEADER_PX = 64;

/** Height of one legend line, in pixels (12 px text, the icon and ECharts' item gap). */
export const LEGEND_LINE_PX = 22;

/**
 * Lines a plain legend of these names takes at this width: items (icon, gap, about 7 px per
 * character of 12 px text) placed left to right and wrapped as ECharts does.
 */
export function legendLines(names: readonly string[], width: number): number {
  const room = Math.max(1, width - 20);
  let lines = names.length > 0 ? 1 : 0;
  let used = 0;
  for (const name of names) {
    const item = 25 + 5 + 7 * name.length + 10;
    if (used > 0 && used + item > room) {
      lines++;
      used = 0;
    }
    used += item;
  }
  return lines;
}

/** The chart's option for a PNG export: the same chart below a title (asset and title), the range and the attribution. */
export function exportOption(option: EChartsCoreOption, caption: ChartCaption, width: number, dark: boolean): EChartsCoreOption {
  const grid = (option.grid ?? {}) as { top?: number };
  const legend = (option.legend ?? {}) as { top?: number };
  const color = dark ? '#c8d0dc' : '#24292f';
  // An image cannot page its legend: every series is named, on as many lines as it takes, above the plot.
  const names = ((option.series ?? []) as { name?: unknown }[]).map((s) => (typeof s.name === 'string' ? s.name : '')).filter((n) => n !== '');
  const extraLines = Math.max(0, legendLines(names, width) - 1);
  return {
    ...option,
    title: {
      text: `${caption.asset}: ${caption.title}`,
      subtext: `${caption.range}\n${caption.attribution}`,
      left: 12,
      top: 4,
      textStyle: { fontSize: 14, color },
      itemGap: 6,
      subtextStyle: { fontSize: 11, lineHeight: 15, color, width: Math.max(200, width - 24), overflow: 'truncate' },
    },
    legend: { ...legend, type: 'plain', top: (legend.top ?? 0) + EXPORT_HEADER_PX },
    grid: { ...grid, top: (grid.top ?? 32) + EXPORT_HEADER_PX + extraLines * LEGEND_LINE_PX },
  };
}
