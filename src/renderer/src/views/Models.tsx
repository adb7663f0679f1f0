/**
 * Models: each version's walk-forward validation (every model, the ensemble, the momentum
 * baseline and chance), IC over time, quintile spreads, feature importance, the A/B pair and its
 * realised skill; retraining with progress and cancel.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { BacktestReport, ModelDetail, ModelSummary, ValidationMetrics } from '../../../shared/contract/ml';
import { Chart } from '../components/Chart';
import { CsvButton } from '../components/CsvButton';
import { DataTable, type Column } from '../components/DataTable';
import { Empty, ErrorState, Loading } from '../components/States';
import { TaskList } from '../components/Tasks';
import { contributionsOption, summarizeSeries, timeSeriesOption } from '../lib/chart-options';
import { featureLabel } from '../../../shared/feature-labels';
import { modelName } from '../../../shared/model-names';
import { client } from '../lib/client';
import { formatPct, formatShare, formatUtc } from '../lib/format';
import { useThemeValue } from '../lib/theme-context';
import { invalidateAfter, setCallData, useCall } from '../lib/calls';

const num = (n: number | null | undefined, digits = 3): string => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const MODELS = ['ensemble', 'ridge', 'gbm', 'rf', 'nn', 'momentum'] as const;

/** Series of one metric per model over validation dates, aligned on the union of dates. */
export function icSeries(detail: Pick<ModelDetail, 'icSeries'>, metric: 'ic' | 'spread', models: readonly (keyof ModelDetail['icSeries'])[]) {
  const days = [...new Set(models.flatMap((m) => detail.icSeries[m].map((p) => p.day)))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  return {
    days,
    series: models.map((m) => {
      const values: (number | null)[] = new Array(days.length).fill(null);
      for (const p of detail.icSeries[m]) values[index.get(p.day) as number] = p[metric];
      return { key: m, label: m, unit: 'ratio' as const, values };
    }),
  };
}

function MetricsTable({ model }: { model: ModelSummary }) {
  type Row = { name: string; m: ValidationMetrics & { icSd?: number | null } };
  const rows: Row[] = [...MODELS.map((name) => ({ name, m: model.metrics[name] })), { name: 'chance', m: model.chance }];
  const cols: Column<Row>[] = [
    { id: 'name', header: 'Model', align: 'left', value: (r) => r.name, render: (r) => (r.name === 'ensemble' ? <strong>{modelName(r.name)}</strong> : modelName(r.name)) },
    { id: 'meanIc', header: 'Mean rank IC', value: (r) => r.m.meanIc, render: (r) => num(r.m.meanIc) },
    { id: 'icT', header: 'IC t-stat', value: (r) => r.m.icT, render: (r) => num(r.m.icT, 2) },
    { id: 'positiveShare', header: 'IC > 0', value: (r) => r.m.positiveShare, render: (r) => formatShare(r.m.positiveShare) },
    { id: 'quintileSpread', header: 'Top−bottom quintile', value: (r) => r.m.quintileSpread, render: (r) => formatPct(r.m.quintileSpread, 2) },
    { id: 'hitRate', header: 'Hit rate', value: (r) => r.m.hitRate, render: (r) => formatShare(r.m.hitRate, 1) },
    { id: 'rmse', header: 'RMSE', value: (r) => r.m.rmse, render: (r) => num(r.m.rmse) },
    { id: 'dates', header: 'Dates', value: (r) => r.m.dates },
    { id: 'weight', header: 'Ensemble weight', value: (r) => (r.name in model.weights ? model.weights[r.name as keyof ModelSummary['weights']] : null), render: (r) => (r.name in model.weights ? formatShare(model.weights[r.name as keyof ModelSummary['weights']], 0) : '') },
  ];
  return <DataTable rows={rows} columns={cols} rowId={(r) => r.name} testId="metrics-table" csvName={`${model.version}-validation`} maxHeight={280} />;
}

function VersionDetail({ version }: { version: string }) {
  const theme = useThemeValue();
  const q = useCall('ml.model', { version });
  const ic = useMemo(() => (q.data ? icSeries(q.data, 'ic', ['ensemble', 'momentum', 'ridge', 'gbm', 'rf', 'nn']) : null), [q.data]);
  const spread = useMemo(() => (q.data ? icSeries(q.data, 'spread', ['ensemble', 'momentum']) : null), [q.data]);
  if (q.isLoading) return <Loading what={`model ${version}`} />;
  if (q.isError) return <ErrorState what={`model ${version}`} error={q.error} />;
  const d = q.data;
  if (!d || !ic || !spread) return null;
  // Named as the asset page names them, not by their keys.
  const importance = Object.fromEntries(d.importance.ensemble.map((x) => [featureLabel(x.feature), x.importance]));
  return (
    <div data-testid="model-detail">
      <p className="small muted">
        {d.version} · trained {formatUtc(d.createdAt)} on {d.trainFrom} to {d.trainTo} ({d.trainRows.toLocaleString('en-US')} rows, {d.features.length} features, horizon {d.horizonDays} days, {d.backend}, {(d.durationMs / 1000).toFixed(0)} s)
        {d.dropped.length ? ` · dropped for missing data: ${d.dropped.map(featureLabel).join(', ')}` : ''}
      </p>
      <MetricsTable model={d} />
      <div className="chart-grid">
        <section className="panel chart-panel">
          <h3>Rank IC per validation date</h3>
          <Chart option={timeSeriesOption(ic, { dark: theme === 'dark', keys: ['ensemble', 'momentum'] })} testId="chart-ic" filename={`${version}-ic`} summary={{ series: summarizeSeries(ic.days, ic.series) }} height={240} />
        </section>
        <section className="panel chart-panel">
          <h3>Top−bottom quintile spread per date</h3>
          <Chart option={timeSeriesOption(spread, { dark: theme === 'dark', bars: ['ensemble', 'momentum'] })} testId="chart-spread" filename={`${version}-quintile-spread`} summary={{ series: summarizeSeries(spread.days, spread.series) }} height={240} />
        </section>
        <section className="panel chart-panel">
          <h3>Feature importance (ensemble)</h3>
          {d.importance.ensemble.length ? <Chart option={contributionsOption(importance, theme === 'dark', 15)} testId="chart-importance" filename={`${version}-importance`} summary={importance} height={300} /> : <Empty>No importance recorded.</Empty>}
        </section>
        <section className="panel">
          <h3>
            Calibration (realised skill by confidence){' '}
            <CsvButton name={`${version}-calibration`} header={['bucket', 'min confidence', 'max confidence', 'rows', 'mean IC', 'quintile spread', 'hit rate']} rows={() => d.reliability.map((r) => [r.bucket, r.minConfidence, r.maxConfidence, r.rows, r.meanIc, r.quintileSpread, r.hitRate])} />
          </h3>
          <table className="plain small">
            <thead>
              <tr>
                <th className="left">Confidence</th>
                <th>Rows</th>
                <th>Mean IC</th>
                <th>Quintile spread</th>
                <th>Hit rate</th>
              </tr>
            </thead>
            <tbody>
              {d.reliability.map((r) => (
                <tr key={r.bucket}>
                  <td className="left">
                    {r.bucket} ({num(r.minConfidence, 2)}–{num(r.maxConfidence, 2)})
                  </td>
                  <td>{r.rows}</td>
                  <td>{num(r.meanIc)}</td>
                  <td>{formatPct(r.quintileSpread, 2)}</td>
                  <td>{formatShare(r.hitRate, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}

function AbPanel({ versions }: { versions: readonly ModelSummary[] }) {
  const qc = useQueryClient();
  const theme = useThemeValue();
  const ab = useCall('ml.abStatus');
  const set = useMutation({
    mutationFn: (v: { champion: string; challenger: string | null }) => client.call('ml.abSet', v),
    onSuccess: async (r) => {
      await invalidateAfter(qc, 'ml.abSet');
      setCallData(qc, 'ml.abStatus', {}, r);
    },
  });
  const realised = useMemo(() => {
    const vs = ab.data?.versions ?? [];
    const days = [...new Set(vs.flatMap((v) => v.realised.series.map((p) => p.day)))].sort();
    const idx = new Map(days.map((d, i) => [d, i]));
    return {
      days,
      series: vs.map((v) => {
        const values: (number | null)[] = new Array(days.length).fill(null);
        for (const p of v.realised.series) values[idx.get(p.day) as number] = p.ic;
        return { key: v.version, label: `${v.role}: ${v.version}`, unit: 'ratio' as const, values };
      }),
    };
  }, [ab.data]);
  if (ab.isLoading) return <Loading what="the A/B test" />;
  if (ab.isError) return <ErrorState what="the A/B test" error={ab.error} />;
  const data = ab.data;
  if (!data) return null;
  return (
    <div data-testid="ab">
      <p>
        Champion <strong className="mono">{data.champion ?? '—'}</strong> · challenger <strong className="mono">{data.challenger ?? '—'}</strong>{' '}
        <CsvButton name="defimon-ab" header={['version', 'role', 'validation IC', 'realised days', 'realised mean IC', 'realised spread']} rows={() => data.versions.map((v) => [v.version, v.role, v.validationIc, v.realised.days, v.realised.meanIc, v.realised.meanSpread])} />
      </p>
      <table className="plain small">
        <thead>
          <tr>
            <th className="left">Version</th>
            <th className="left">Role</th>
            <th>Validation IC</th>
            <th>Realised days</th>
            <th>Realised mean IC</th>
            <th>Realised spread</th>
          </tr>
        </thead>
        <tbody>
          {data.versions.map((v) => (
            <tr key={v.version}>
              <td className="left mono">{v.version}</td>
              <td className="left">{v.role}</td>
              <td>{num(v.validationIc)}</td>
              <td>{v.realised.days}</td>
              <td>{num(v.realised.meanIc)}</td>
              <td>{formatPct(v.realised.meanSpread, 2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {realised.days.length > 0 ? (
        <Chart option={timeSeriesOption(realised, { dark: theme === 'dark' })} testId="chart-realised" filename="ab-realised-ic" height={220} summary={{ series: summarizeSeries(realised.days, realised.series) }} />
      ) : (
        <Empty>No realised skill yet: scores need a full horizon of later prices.</Empty>
      )}
      {versions.length > 1 && (
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const champion = String(f.get('champion'));
            const challenger = String(f.get('challenger') ?? '');
            set.mutate({ champion, challenger: challenger && challenger !== champion ? challenger : null });
          }}
        >
          <label>
            Champion{' '}
            <select name="champion" defaultValue={data.champion ?? versions[0]?.version}>
              {versions.map((v) => (
                <option key={v.version}>{v.version}</option>
              ))}
            </select>
          </label>
          <label>
            Challenger{' '}
            <select name="challenger" defaultValue={data.challenger ?? ''}>
              <option value="">none</option>
              {versions.map((v) => (
                <option key={v.version}>{v.version}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={set.isPending}>
            Set A/B pair
          </button>
        </form>
      )}
      {set.isError && <ErrorState what="the A/B pair" error={set.error} />}
    </div>
  );
}

/** The backtest's per-date IC beside momentum, and its cumulative top-minus-bottom return, as chart series. */
export function backtestSeries(report: BacktestReport, every: number, horizon: number) {
  const days = report.dates.map((d) => d.day);
  const weight = Math.min(1, every / horizon);
  let cum = 0;
  const cumulative = report.dates.map((d) => {
    cum += (d.spread ?? 0) * weight;
    return Math.expm1(cum);
  });
  return {
    days,
    series: [
      { key: 'ic', label: 'model IC', unit: 'ratio' as const, values: report.dates.map((d) => d.ic) },
      { key: 'momentum', label: 'momentum IC', unit: 'ratio' as const, values: report.dates.map((d) => d.momentumIc) },
      { key: 'cumulative', label: 'cumulative top−bottom', unit: 'ratio' as const, values: cumulative },
    ],
  };
}

type BacktestRow = BacktestReport['dates'][number];
/** Each scored date: which model scored it, trained to when, and how the day turned out. */
const BACKTEST_COLS: Column<BacktestRow>[] = [
  { id: 'day', header: 'Scored day', align: 'left', value: (d) => d.day },
  { id: 'modelVersion', header: 'Model', align: 'left', value: (d) => d.modelVersion, render: (d) => <span className="mono">{d.modelVersion}</span> },
  { id: 'trainedUntil', header: 'Trained to', value: (d) => d.trainedUntil },
  { id: 'ic', header: 'IC', value: (d) => d.ic, render: (d) => num(d.ic) },
  { id: 'momentumIc', header: 'Momentum IC', value: (d) => d.momentumIc, render: (d) => num(d.momentumIc) },
  { id: 'spread', header: 'Top−bottom', value: (d) => d.spread, render: (d) => formatPct(d.spread, 2) },
  { id: 'hitRate', header: 'Hit rate', value: (d) => d.hitRate, render: (d) => formatShare(d.hitRate, 1) },
];

/** Point-in-time backtest: each model trained only on the data known at its retrain date. */
function BacktestPanel({ horizon }: { horizon: number }) {
  const theme = useThemeValue();
  const [form, setForm] = useState({ from: '2021-01-01', to: '2024-05-31', every: 30, retrainEvery: 90 });
  const run = useMutation({ mutationFn: (f: typeof form) => client.call('ml.backtest', f) });
  const report = run.data;
  const chart = report ? backtestSeries(report, form.every, horizon) : null;
  return (
    <div data-testid="backtest">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const d = new FormData(e.currentTarget);
          const f = { from: String(d.get('from')), to: String(d.get('to')), every: Number(d.get('every')), retrainEvery: Number(d.get('retrainEvery')) };
          setForm(f);
          run.mutate(f);
        }}
      >
        <label>
          From <input name="from" aria-label="Backtest from" size={10} defaultValue={form.from} />
        </label>
        <label>
          to <input name="to" aria-label="Backtest to" size={10} defaultValue={form.to} />
        </label>
        <label>
          score every <input name="every" aria-label="Score every days" size={4} inputMode="numeric" defaultValue={form.every} /> d
        </label>
        <label>
          retrain every <input name="retrainEvery" aria-label="Retrain every days" size={4} inputMode="numeric" defaultValue={form.retrainEvery} /> d
        </label>
        <button type="submit" disabled={run.isPending}>
          {run.isPending ? 'Running…' : 'Run backtest'}
        </button>
      </form>
      <TaskList kinds={['ml.backtest']} />
      {run.isError && <ErrorState what="the backtest" error={run.error} />}
      {report && chart && (
        <>
          <p className="small" data-testid="backtest-summary">
            Mean IC {num(report.summary.meanIc)} (t {num(report.summary.icT, 2)}, positive on {formatShare(report.summary.positiveShare, 0)} of dates) · mean top−bottom quintile {formatPct(report.summary.meanSpread, 2)} · cumulative {formatPct(report.summary.cumulativeSpread, 1)} · momentum
            mean IC {num(report.dates.length ? report.dates.reduce((s, d) => s + (d.momentumIc ?? 0), 0) / report.dates.length : null)}
          </p>
          <Chart option={timeSeriesOption(chart, { dark: theme === 'dark', bars: ['ic', 'momentum'] })} testId="chart-backtest" filename="defimon-backtest" summary={{ series: summarizeSeries(chart.days, chart.series) }} height={260} />
          <DataTable rows={report.dates} columns={BACKTEST_COLS} rowId={(d) => d.day} testId="backtest-table" csvName="defimon-backtest" maxHeight={280} />
        </>
      )}
    </div>
  );
}

export function ModelsView() {
  const qc = useQueryClient();
  const models = useCall('ml.models');
  const schedule = useCall('ml.schedule');
  const [selected, setSelected] = useState<string | null>(null);
  const train = useMutation({
    mutationFn: () => client.call('ml.train', {}),
    onSettled: () => invalidateAfter(qc, 'ml.train'),
  });
  // Empty means on demand only (null).
  const setSchedule = useMutation({ mutationFn: (intervalHours: number | null) => client.call('ml.schedule', { intervalHours }), onSuccess: (r) => setCallData(qc, 'ml.schedule', {}, r) });
  const list = models.data ?? [];
  const current = selected ?? list[0]?.version ?? null;
  const cols: Column<ModelSummary>[] = [
    { id: 'version', header: 'Version', align: 'left', value: (m) => m.version, render: (m) => <span className="mono">{m.version}</span> },
    { id: 'role', header: 'Role', align: 'left', value: (m) => m.role },
    { id: 'createdAt', header: 'Trained', value: (m) => m.createdAt, render: (m) => formatUtc(m.createdAt) },
    // The data a version saw ends at dataUntil; its training rows end one horizon earlier (their returns had to be known).
    { id: 'dataUntil', header: 'Data to', value: (m) => m.dataUntil },
    { id: 'trainTo', header: 'Training rows to', value: (m) => m.trainTo },
    { id: 'horizon', header: 'Horizon', value: (m) => m.horizonDays },
    { id: 'ensembleIc', header: 'Ensemble IC', value: (m) => m.metrics.ensemble.meanIc, render: (m) => num(m.metrics.ensemble.meanIc) },
    { id: 'momentumIc', header: 'Momentum IC', value: (m) => m.metrics.momentum.meanIc, render: (m) => num(m.metrics.momentum.meanIc) },
    { id: 'chanceIc', header: 'Chance IC (sd)', value: (m) => m.chance.meanIc, render: (m) => `${num(m.chance.meanIc)} (${num(m.chance.icSd)})` },
    { id: 'spread', header: 'Quintile spread', value: (m) => m.metrics.ensemble.quintileSpread, render: (m) => formatPct(m.metrics.ensemble.quintileSpread, 2) },
    { id: 'hit', header: 'Hit rate', value: (m) => m.metrics.ensemble.hitRate, render: (m) => formatShare(m.metrics.ensemble.hitRate, 1) },
  ];
  return (
    <div className="view">
      <h2>Models</h2>
      <section className="panel">
        <div className="toolbar">
          <button type="button" onClick={() => train.mutate()} disabled={train.isPending}>
            {train.isPending ? 'Training…' : 'Retrain now'}
          </button>
          {schedule.data && (
            <span className="muted small">
              Schedule: {schedule.data.intervalHours === null ? 'on demand only' : `every ${schedule.data.intervalHours} h`} · last trained {formatUtc(schedule.data.lastTrainedAt)}
              {schedule.data.nextDueAt ? ` · next ${formatUtc(schedule.data.nextDueAt)}` : ''}
            </span>
          )}
          <span className="spacer" />
          <form
            className="toolbar"
            onSubmit={(e) => {
              e.preventDefault();
              const text = String(new FormData(e.currentTarget).get('interval') ?? '').trim();
              setSchedule.mutate(text === '' ? null : Number(text));
            }}
          >
            <label>
              Retrain every{' '}
              <input name="interval" aria-label="Retrain interval in hours" size={5} inputMode="numeric" placeholder="hours" defaultValue={schedule.data?.intervalHours ?? ''} key={schedule.data?.intervalHours ?? 'none'} /> h
            </label>
            <button type="submit" disabled={setSchedule.isPending}>
              Set schedule
            </button>
          </form>
        </div>
        {setSchedule.isError && <ErrorState what="the schedule" error={setSchedule.error} />}
        <TaskList kinds={['ml.train', 'ml.score']} />
        {train.isError && (train.error as { code?: string }).code !== 'CANCELLED' && <ErrorState what="the training" error={train.error} />}
        {train.isError && (train.error as { code?: string }).code === 'CANCELLED' && <p className="muted">Training cancelled.</p>}
      </section>
      <section className="panel">
        <h3>Versions</h3>
        {models.isLoading ? (
          <Loading what="model versions" />
        ) : models.isError ? (
          <ErrorState what="model versions" error={models.error} onRetry={() => void models.refetch()} />
        ) : list.length === 0 ? (
          <Empty>No model trained yet: press “Retrain now” (a few minutes on the bundled data).</Empty>
        ) : (
          <DataTable rows={list} columns={cols} rowId={(m) => m.version} testId="models-versions" csvName="defimon-model-versions" maxHeight={240} selectedId={current} onOpen={(m) => setSelected(m.version)} />
        )}
      </section>
      {current && (
        <section className="panel">
          <h3>Validation of {current}</h3>
          <VersionDetail key={current} version={current} />
        </section>
      )}
      <section className="panel">
        <h3>Point-in-time backtest</h3>
        <BacktestPanel horizon={list[0]?.horizonDays ?? 30} />
      </section>
      {list.length > 0 && (
        <section className="panel">
          <h3>A/B test</h3>
          <AbPanel versions={list} />
        </section>
      )}
    </div>
  );
}
