/** One data family of an asset over a range, downsampled by the server to the chart's needs. */
import { useMemo } from 'react';
import type { SeriesFamily } from '../../../shared/contract/ui';
import { chartCaption, summarizeSeries, timeSeriesOption } from '../lib/chart-options';
import { useThemeValue } from '../lib/theme-context';
import { Chart } from './Chart';
import { Empty, ErrorState, Loading } from './States';
import { useCall } from '../lib/calls';
import { CHART_POINTS, seriesInput } from '../lib/range';

export function SeriesChart({
  assetId,
  family,
  title,
  keys,
  bars,
  lastDays,
  symbol,
  rangeLabel,
  log = false,
  maxPoints = CHART_POINTS,
  testId,
  emptyText,
}: {
  assetId: string;
  family: SeriesFamily;
  title: string;
  keys?: readonly string[];
  bars?: readonly string[];
  /** The last N days up to the asset's latest market day; all of its history when absent. */
  lastDays?: number | undefined;
  /** For exports: the asset's symbol and the range's name. */
  symbol: string;
  rangeLabel: string;
  log?: boolean;
  maxPoints?: number;
  testId: string;
  emptyText: string;
}) {
  const theme = useThemeValue();
  const input = seriesInput(assetId, family, lastDays, maxPoints);
  const q = useCall('ui.series', input);
  // Series without a value in the range are left out of the chart and its summary table alike.
  const shown = useMemo(() => (q.data ? q.data.series.filter((s) => (!keys || keys.includes(s.key)) && s.values.some((v) => v !== null)) : []), [q.data, keys]);
  const hasValues = shown.length > 0;
  const option = useMemo(
    () => (q.data ? timeSeriesOption(q.data, { ...(keys ? { keys } : {}), ...(bars ? { bars } : {}), log, dark: theme === 'dark', from: q.data.from ?? undefined, to: q.data.to ?? undefined }) : null),
    [q.data, keys, bars, log, theme],
  );
  const caption = useMemo(() => (q.data ? chartCaption({ title, symbol, rangeLabel, from: q.data.from ?? q.data.days[0] ?? null, to: q.data.to ?? q.data.days.at(-1) ?? null, family }) : undefined), [q.data, title, symbol, rangeLabel, family]);
  const summary = useMemo(() => (q.data ? { total: q.data.total, downsampled: q.data.downsampled, series: summarizeSeries(q.data.days, shown) } : undefined), [q.data, shown]);

  return (
    <section className="panel chart-panel">
      <h3>
        {title}
        {q.data?.downsampled ? (
          <span className="muted small" title="Each bucket keeps its first, lowest, highest and last point">
            {' '}
            · {q.data.days.length.toLocaleString('en-US')} of {q.data.total.toLocaleString('en-US')} points
          </span>
        ) : null}
      </h3>
      {q.isLoading ? (
        <Loading what={title.toLowerCase()} />
      ) : q.isError ? (
        <ErrorState what={title.toLowerCase()} error={q.error} onRetry={() => void q.refetch()} />
      ) : !hasValues || !option ? (
        <Empty>{emptyText}</Empty>
      ) : (
        <Chart option={option} testId={testId} filename={`${assetId}-${testId}`} summary={summary} height={260} {...(caption ? { caption } : {})} />
      )}
    </section>
  );
}
