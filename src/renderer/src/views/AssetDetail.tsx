/** One asset: charts over selectable ranges, score history, models, contributions, competitors, contracts, notes, alerts. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import type { Output } from '../../../shared/contract';
import type { AlertKind, ContractRow, ModelView, OverviewRow } from '../../../shared/contract/ui';
import { AsOf } from '../components/AsOf';
import { Chart, useChartsLoaded } from '../components/Chart';
import { CoveragePanel } from '../components/Coverage';
import { DataTable, type Column } from '../components/DataTable';
import { SeriesChart } from '../components/SeriesChart';
import { Empty, ErrorState, Loading } from '../components/States';
import { contributionsOption, outcomesOption } from '../lib/chart-options';
import { readFeature } from '../../../shared/feature-labels';
import { modelName } from '../../../shared/model-names';
import { client } from '../lib/client';
import { formatPct, formatScore, formatShare, formatUsd, formatUtc } from '../lib/format';
import { useWatchlist } from '../lib/queries';
import { DEFAULT_RANGE, RANGES, seriesInput, type RangeId } from '../lib/range';
import { navigate } from '../lib/route';
import { useThemeValue } from '../lib/theme-context';
import { invalidateAfter, prefetchCall, useCall } from '../lib/calls';
import { sourceName } from '../../../shared/freshness';

/** Why a chart is empty in this range: the family's latest day and source, or that none is known. */
function emptyBecause(what: string, day: string | null | undefined, source: string | null | undefined, range: string): string {
  if (!day) return `No ${what} known for this asset.`;
  return `No ${what} in the ${range} range: the latest ${what} is from ${day}${source ? ` (${sourceName(source)})` : ''}. Choose a longer range to see it.`;
}

/** How long the rest of the page waits for the price chart at most before it draws anyway. */
const REST_WAITS_MS = 1500;

export function AssetDetail({ assetId }: { assetId: string }) {
  const qc = useQueryClient();
  const asset = useCall('assets.get', { assetId });
  const ov = useCall('ui.overview');
  const row = ov.data?.rows.find((r) => r.assetId === assetId) ?? null;
  const { watched, toggle } = useWatchlist();
  const [range, setRange] = useState<RangeId>(DEFAULT_RANGE);
  const [log, setLog] = useState(false);
  // The chart library loads while the data does, not after it.
  const chartsLoaded = useChartsLoaded();
  const price = useCall('ui.series', seriesInput(assetId, 'market', range));

  // Every request of the page goes out at once; the panels below the price chart draw once it has.
  useEffect(() => {
    for (const family of ['tvl', 'development', 'onchain', 'score'] as const) prefetchCall(qc, 'ui.series', seriesInput(assetId, family, DEFAULT_RANGE));
    prefetchCall(qc, 'ui.asset', { asset: assetId });
    prefetchCall(qc, 'ui.scoreOutcomes', { assetId });
    prefetchCall(qc, 'ui.models', { assetId });
    prefetchCall(qc, 'ui.coverage', { assetId });
    prefetchCall(qc, 'ui.competitors', { assetId });
    prefetchCall(qc, 'ui.contracts', { assetId });
  }, [qc, assetId]);
  const priceDrawable = chartsLoaded && price.isFetched;
  const [rest, setRest] = useState(false);
  useEffect(() => {
    if (rest) return;
    if (!priceDrawable) {
      const t = setTimeout(() => setRest(true), REST_WAITS_MS);
      return () => clearTimeout(t);
    }
    // One frame for the price chart to paint, then the rest.
    const f = requestAnimationFrame(() => setRest(true));
    return () => cancelAnimationFrame(f);
  }, [priceDrawable, rest]);

  if (asset.isError) return <ErrorState what={assetId} error={asset.error} onRetry={() => void asset.refetch()} />;
  const a = asset.data;
  const on = watched.has(assetId);
  const rangeLabel = RANGES.find((r) => r.id === range)?.label ?? range;
  // Every chart asks for its range relative to the asset's last day at once: no chart waits for the asset's facts.
  const lastDays = RANGES.find((r) => r.id === range)?.days ?? undefined;
  const common = { assetId, lastDays, log, symbol: a?.symbol ?? assetId, rangeLabel };

  return (
    <div className="detail" data-testid="asset-detail" data-asset={assetId}>
      <div className="detail-head">
        <button type="button" className="link" onClick={() => navigate({ view: 'overview' })} aria-label="Back to the overview">
          ← Overview
        </button>
        <h2>
          {a?.symbol ?? assetId} <span className="muted">{a?.name ?? ''}</span>
        </h2>
        {a ? <span className="tag">{a.category ?? 'uncategorised'}</span> : null}
        <button type="button" className={`star ${on ? 'on' : ''}`} aria-pressed={on} onClick={() => toggle.mutate({ assetId, watched: !on })}>
          {on ? '★ Watching' : '☆ Watch'}
        </button>
      </div>
      {a ? <AssetFacts a={a} row={row} /> : <Loading what={assetId} />}
      <div className="toolbar" role="toolbar" aria-label="Chart range">
        {RANGES.map((r) => (
          <button key={r.id} type="button" className={range === r.id ? 'active' : ''} aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
            {r.label}
          </button>
        ))}
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> Log scale
        </label>
      </div>
      <div className="chart-grid">
        <SeriesChart {...common} family="market" keys={['close']} title="Price (USD, daily close)" testId="chart-price" emptyText="No price history in this range." />
        {rest ? (
          <>
        <SeriesChart {...common} family="market" keys={['volume', 'marketCap']} bars={['volume']} title="Volume and market cap" testId="chart-volume" emptyText="No volume or market cap in this range." />
        <SeriesChart {...common} family="tvl" keys={['tvl', 'tvlDefillama', 'chainTvl']} title="TVL by source (never spliced: sources define TVL differently)" testId="chart-tvl" emptyText={emptyBecause('TVL', row?.tvlDay, row?.tvlSource, rangeLabel)} />
        <SeriesChart
          {...common}
          family="tvl"
          keys={['revenue', 'fees', 'revenueDefillama', 'feesDefillama']}
          bars={['revenue', 'fees', 'revenueDefillama', 'feesDefillama']}
          title="Revenue and fees by source"
          testId="chart-revenue"
          emptyText={emptyBecause(row?.revenueKind === 'fees' ? 'fees' : 'revenue', row?.revenueDay, row?.revenueSource, rangeLabel)}
        />
        <SeriesChart {...common} family="onchain" keys={['transfers', 'activeAddresses', 'newHolders']} title="On-chain activity (Polygon)" testId="chart-onchain" emptyText="No on-chain activity collected yet: add a QuickNode RPC URL in Settings and collect." />
        <SeriesChart {...common} family="development" bars={['commits']} title="Development activity (weekly)" testId="chart-dev" emptyText="No development activity known for this asset." />
        <SeriesChart {...common} log={false} family="score" title="Score history" testId="chart-score" emptyText="No score history: the models have not scored this asset yet." />
          </>
        ) : null}
      </div>
      <p className="muted small attribution">
        Bundled history: market data from CoinGecko, Binance (CryptoDataDownload), Yahoo Finance and CoinMarketCap; fundamentals from Token Terminal (to 2022-02) and DefiLlama (to 2023-07, TVL defined differently, shown as its own series); development activity counted from public git history. Live collections replace it where they overlap.
      </p>
      {rest ? (
        <>
          <CoveragePanel assetId={assetId} />
          <div className="two-col">
            <ScorePanel assetId={assetId} />
            <ModelsPanel assetId={assetId} />
          </div>
          <CompetitorsPanel assetId={assetId} />
          <ContractsPanel assetId={assetId} />
          <div className="two-col">
            <NotesPanel assetId={assetId} />
            <AlertRulesPanel assetId={assetId} />
          </div>
        </>
      ) : (
        <Loading what="the rest of the page" />
      )}
    </div>
  );
}

/** The asset's latest values, each with its as-of day, source and staleness. */
function AssetFacts({ a, row }: { a: Output<'assets.get'>; row: OverviewRow | null }) {
  return (
    <dl className="facts">
      <div>
        <dt>Price</dt>
        <dd data-testid="fact-price">
          <AsOf asOf={a.lastDay} stale={a.staleSince !== null} source={row?.marketSource}>
            {formatUsd(a.price)}
          </AsOf>
        </dd>
      </div>
      <div>
        <dt>7d / 30d</dt>
        <dd>
          <AsOf asOf={a.lastDay} stale={a.staleSince !== null}>
            {formatPct(row?.return7d)} / {formatPct(a.return30d)}
          </AsOf>
        </dd>
      </div>
      {(
        [
          ['Market cap', 'fact-market-cap', a.marketCap, a.marketCapDay, a.marketCapStale, a.marketCapSource],
          ['Volume 24h', 'fact-volume', a.volume, a.volumeDay, a.volumeStale, a.volumeSource],
        ] as const
      ).map(([label, testId, value, asOf, stale, source]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd data-testid={testId}>
            <AsOf asOf={asOf} stale={stale} source={source}>
              {formatUsd(value)}
            </AsOf>
          </dd>
        </div>
      ))}
      <div>
        <dt>TVL</dt>
        <dd data-testid="fact-tvl">
          <AsOf asOf={row?.tvlDay} stale={row?.tvlStale ?? false} source={row?.tvlSource} scope={row?.tvlScope}>
            {formatUsd(row?.tvl)}
          </AsOf>
          {row?.tvlSource ? <span className="muted small"> {sourceName(row.tvlSource)}{row.tvlScope ? ` (${row.tvlScope})` : ''}</span> : null}
        </dd>
      </div>
      <div>
        <dt>{row?.revenueKind === 'fees' ? 'Fees 30d' : 'Revenue 30d'}</dt>
        <dd data-testid="fact-revenue">
          <AsOf asOf={row?.revenueDay} stale={row?.revenueStale ?? false} source={row?.revenueSource}>
            {formatUsd(row?.revenue30d)}
          </AsOf>
          {row?.revenueSource ? <span className="muted small"> {sourceName(row.revenueSource)}</span> : null}
        </dd>
      </div>
      <div>
        <dt>Score</dt>
        <dd data-testid="fact-score">
          <AsOf asOf={row?.scoreDay} stale={row?.scoreStale ?? false} source="model">
            {formatScore(row?.score)}
          </AsOf>{' '}
          {row?.confidence !== null && row?.confidence !== undefined ? <span className="muted small">conf. {formatShare(row.confidence)}</span> : null}
        </dd>
      </div>
      <div>
        <dt>As of (UTC)</dt>
        <dd>{a.staleSince ? <span className="badge-stale">stale since {a.staleSince}</span> : (a.lastDay ?? '—')}</dd>
      </div>
      {a.polygonAddress ? (
        <div>
          <dt>Polygon token</dt>
          <dd className="mono small">{a.polygonAddress}</dd>
        </div>
      ) : null}
    </dl>
  );
}

/** "m2024…:gbm" → "Gradient boosting"; a version without a component is the ensemble. */
function versionModelName(version: string): string {
  const i = version.indexOf(':');
  return modelName(i < 0 ? 'ensemble' : version.slice(i + 1));
}

function ModelsPanel({ assetId }: { assetId: string }) {
  const q = useCall('ui.models', { assetId });
  const theme = useThemeValue();
  const headline = useMemo(() => (q.data ?? []).find((m) => Object.keys(m.contributions).length > 0) ?? null, [q.data]);
  // Contributions by label, never by feature key; a feature and its universe standing are one driver.
  const labelled = useMemo(() => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(headline?.contributions ?? {})) {
      const label = readFeature(k.startsWith('rank_') ? k.slice(5) : k, null).label;
      out[label] = (out[label] ?? 0) + v;
    }
    return out;
  }, [headline]);
  const columns: Column<ModelView>[] = [
    { id: 'model', header: 'Model', align: 'left', value: (m) => versionModelName(m.modelVersion), render: (m) => <span title={m.modelVersion}>{versionModelName(m.modelVersion)}</span> },
    { id: 'day', header: 'As of', value: (m) => m.day },
    { id: 'score', header: 'Score', value: (m) => m.score, render: (m) => formatScore(m.score), title: 'Each model’s own score: its prediction’s percentile in the universe that day' },
    { id: 'confidence', header: 'Conf.', value: (m) => m.confidence, render: (m) => formatShare(m.confidence) },
    { id: 'prediction', header: '30d return vs median', value: (m) => m.prediction, render: (m) => formatPct(m.prediction), title: 'Predicted 30-day log return relative to the day’s median asset (not an absolute return)' },
  ];
  return (
    <section className="panel">
      <h3>Models</h3>
      {q.isLoading ? (
        <Loading what="models" />
      ) : q.isError ? (
        <ErrorState what="models" error={q.error} />
      ) : (q.data ?? []).length === 0 ? (
        <Empty>No model has scored this asset yet.</Empty>
      ) : (
        <>
          <DataTable rows={q.data ?? []} columns={columns} rowId={(m) => m.modelVersion} testId="models-table" csvName={`${assetId}-models`} maxHeight={220} />
          {headline && Object.keys(headline.contributions).length > 0 ? (
            <>
              <h4>
                Drivers of the score ({headline.day}), in percentage points of the predicted 30-day return relative to the median asset
              </h4>
              <Chart option={contributionsOption(Object.fromEntries(Object.entries(labelled).map(([k, v]) => [k, v * 100])), theme === 'dark')} testId="chart-contributions" filename={`${assetId}-drivers`} height={280} summary={labelled} />
            </>
          ) : (
            <Empty>No feature contributions recorded for this score.</Empty>
          )}
        </>
      )}
    </section>
  );
}

/** The score in plain words: summary, labelled drivers, the model's out-of-sample skill, and what happened after past scores. */
function ScorePanel({ assetId }: { assetId: string }) {
  const q = useCall('ui.asset', { asset: assetId });
  const outcomes = useCall('ui.scoreOutcomes', { assetId });
  const theme = useThemeValue();
  const points = useMemo(() => (outcomes.data?.points ?? []).filter((p) => p.relativeReturn !== null), [outcomes.data]);
  const option = useMemo(() => outcomesOption(points, theme === 'dark'), [points, theme]);
  if (q.isLoading) return <Loading what="the score" />;
  if (q.isError) return <ErrorState what="the score" error={q.error} />;
  const s = q.data?.score;
  if (!s) return null;
  const k = s.skill;
  const hits = points.filter((p) => p.score >= 50 === (p.relativeReturn as number) > 0).length;
  return (
    <section className="panel score-words" data-testid="score-panel">
      <h3>The score in plain words</h3>
      <p data-testid="score-summary">{s.summary}</p>
      {k.model ? (
        <p className="small" data-testid="score-skill">
          Out of sample (walk-forward, {k.validationDays ?? '—'} days, {k.horizonDays ?? 30}-day horizon): rank IC <strong>{k.ic === null ? '—' : k.ic.toFixed(3)}</strong>, hit rate <strong>{formatShare(k.hitRate)}</strong>, top-minus-bottom quintile <strong>{formatPct(k.topMinusBottom)}</strong> a horizon. {k.confidenceMeant ?? ''}
        </p>
      ) : null}
      {s.explanation.length > 0 ? (
        <table className="drivers" data-testid="score-drivers">
          <thead>
            <tr>
              <th className="left">Driver</th>
              <th className="left">Value</th>
              <th>Effect</th>
            </tr>
          </thead>
          <tbody>
            {s.explanation.slice(0, 8).map((d) => (
              <tr key={d.label}>
                <td className="left">{d.label}</td>
                <td className="left">{d.value}</td>
                <td className={d.effect >= 0 ? 'up' : 'down'}>
                  {d.effect >= 0 ? '+' : '−'}
                  {Math.abs(d.effect * 100).toFixed(2)} pp
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h4>What happened next: past scores and the following {outcomes.data?.horizonDays ?? 30}-day return relative to the median asset</h4>
      {points.length === 0 ? (
        <Empty>No past out-of-sample scores of this asset with a completed horizon.</Empty>
      ) : (
        <>
          <Chart option={option} testId="chart-outcomes" filename={`${assetId}-what-happened-next`} height={220} summary={{ points: points.length, agreed: hits }} />
          <p className="muted small">
            The score’s side of 50 matched the side of the median {hits} of {points.length} times ({formatShare(hits / points.length)}).
          </p>
        </>
      )}
    </section>
  );
}

function CompetitorsPanel({ assetId }: { assetId: string }) {
  const q = useCall('ui.competitors', { assetId });
  type C = NonNullable<typeof q.data>[number];
  const columns: Column<C>[] = [
    { id: 'symbol', header: 'Project', align: 'left', value: (c) => c.row.symbol, render: (c) => <a href={`#/asset/${encodeURIComponent(c.row.assetId)}`}>{c.row.symbol}</a> },
    { id: 'similarity', header: 'Similarity', value: (c) => c.similarity, render: (c) => (c.similarity === null ? <span className="muted" title="Same category; descriptions not among the most similar">—</span> : <span title={`by ${c.method}`}>{c.similarity.toFixed(2)}</span>), title: 'Cosine similarity of the project descriptions' },
    { id: 'category', header: 'Category', align: 'left', value: (c) => c.category, render: (c) => (c.sameCategory ? <strong>{c.category}</strong> : (c.category ?? '—')) },
    { id: 'chains', header: 'Chains', align: 'left', value: (c) => c.chains.join(', '), render: (c) => <span className="small" title={c.chains.join(', ')}>{c.chains.length > 3 ? `${c.chains.slice(0, 3).join(', ')} +${c.chains.length - 3}` : c.chains.join(', ') || '—'}</span> },
    { id: 'price', header: 'Price', value: (c) => c.row.price, asOf: (c) => c.row.lastDay, render: (c) => <AsOf asOf={c.row.lastDay} stale={c.row.staleSince !== null} source={c.row.marketSource}>{formatUsd(c.row.price)}</AsOf> },
    { id: 'return30d', header: '30d', value: (c) => c.row.return30d, asOf: (c) => c.row.lastDay, render: (c) => <AsOf asOf={c.row.lastDay} stale={c.row.staleSince !== null}>{formatPct(c.row.return30d)}</AsOf> },
    { id: 'marketCap', header: 'Market cap', value: (c) => c.row.marketCap, asOf: (c) => c.row.marketCapDay, render: (c) => <AsOf asOf={c.row.marketCapDay} stale={c.row.marketCapStale} source={c.row.marketCapSource}>{formatUsd(c.row.marketCap)}</AsOf> },
    { id: 'tvl', header: 'TVL', value: (c) => c.row.tvl, asOf: (c) => c.row.tvlDay, render: (c) => <AsOf asOf={c.row.tvlDay} stale={c.row.tvlStale} source={c.row.tvlSource} scope={c.row.tvlScope}>{formatUsd(c.row.tvl)}</AsOf> },
    { id: 'revenue', header: 'Rev./fees 30d', value: (c) => c.row.revenue30d, asOf: (c) => c.row.revenueDay, render: (c) => <AsOf asOf={c.row.revenueDay} stale={c.row.revenueStale} source={c.row.revenueSource}>{formatUsd(c.row.revenue30d)}{c.row.revenueKind === 'fees' ? ' (fees)' : ''}</AsOf> },
    { id: 'ratio', header: 'P/S or P/F', value: (c) => c.ratio?.value ?? null, asOf: (c) => c.ratio?.asOf ?? null, render: (c) => (c.ratio ? <AsOf asOf={c.ratio.asOf} stale={c.ratio.stale}>{`${c.ratio.kind} ${c.ratio.value.toFixed(1)}`}</AsOf> : '—'), title: 'Market cap over annualised 30-day revenue (P/S) or fees (P/F), both of the revenue’s day' },
    { id: 'score', header: 'Score', value: (c) => c.row.score, asOf: (c) => c.row.scoreDay, render: (c) => <AsOf asOf={c.row.scoreDay} stale={c.row.scoreStale} source="model">{formatScore(c.row.score)}</AsOf> },
  ];
  return (
    <section className="panel peers">
      <h3>Peers: similar descriptions and the same category</h3>
      {q.isLoading ? (
        <Loading what="peers" />
      ) : q.isError ? (
        <ErrorState what="peers" error={q.error} />
      ) : (q.data ?? []).length === 0 ? (
        <Empty>No peers: this asset has no description and no category to compare by.</Empty>
      ) : (
        <DataTable rows={q.data ?? []} columns={columns} rowId={(c) => c.row.assetId} testId="competitors-table" csvName={`${assetId}-peers`} maxHeight={320} rowClassName={(c) => (c.row.staleSince ? 'stale-row' : '')} onOpen={(c) => navigate({ view: 'asset', assetId: c.row.assetId })} />
      )}
    </section>
  );
}

function ContractsPanel({ assetId }: { assetId: string }) {
  const q = useCall('ui.contracts', { assetId });
  const yesNo = (v: boolean | null): string => (v === null ? '—' : v ? 'yes' : 'no');
  const columns: Column<ContractRow>[] = [
    { id: 'protocol', header: 'Protocol', align: 'left', value: (c) => c.protocol },
    { id: 'name', header: 'Contract', align: 'left', value: (c) => c.name },
    { id: 'address', header: 'Address', align: 'left', value: (c) => c.address, render: (c) => <a className="mono" href={`#/audit/${c.address}`} title="Audit this contract">{c.address}</a> },
    { id: 'verified', header: 'Verified', value: (c) => yesNo(c.verified) },
    { id: 'proxy', header: 'Proxy', value: (c) => yesNo(c.isProxy) },
    { id: 'auditScore', header: 'Audit score', value: (c) => c.auditScore, render: (c) => (c.auditScore === null ? <span className="muted">not audited</span> : formatScore(c.auditScore)) },
    { id: 'auditedAt', header: 'Audited', value: (c) => c.auditedAt, render: (c) => formatUtc(c.auditedAt) },
  ];
  return (
    <section className="panel">
      <h3>Contracts</h3>
      {q.isLoading ? (
        <Loading what="contracts" />
      ) : q.isError ? (
        <ErrorState what="contracts" error={q.error} />
      ) : (q.data ?? []).length === 0 ? (
        <Empty>No contracts known for this asset.</Empty>
      ) : (
        <DataTable rows={q.data ?? []} columns={columns} rowId={(c) => `${c.chainId}:${c.address}`} testId="contracts-table" csvName={`${assetId}-contracts`} maxHeight={260} onOpen={(c) => navigate({ view: 'audit', address: c.address })} />
      )}
    </section>
  );
}

function NotesPanel({ assetId }: { assetId: string }) {
  const qc = useQueryClient();
  const q = useCall('ui.notes', { assetId });
  const [draft, setDraft] = useState('');
  const [editing, setEditing] = useState<{ noteId: string; body: string } | null>(null);
  const refresh = (): Promise<void> => invalidateAfter(qc, 'ui.noteSave');
  const save = useMutation({ mutationFn: (v: { noteId?: string; body: string }) => client.call('ui.noteSave', { assetId, ...v }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (noteId: string) => client.call('ui.noteDelete', { noteId }), onSuccess: refresh });
  return (
    <section className="panel notes">
      <h3>Notes</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!draft.trim()) return;
          save.mutate({ body: draft }, { onSuccess: () => setDraft('') });
        }}
      >
        <textarea aria-label="New note" placeholder="Write a note… (Ctrl+Enter saves)" value={draft} rows={3} onChange={(e) => setDraft(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && e.ctrlKey && e.currentTarget.form?.requestSubmit()} />
        <button type="submit" disabled={!draft.trim() || save.isPending}>
          Add note
        </button>
      </form>
      {save.isError && <ErrorState what="the note" error={save.error} />}
      {q.isLoading ? (
        <Loading what="notes" />
      ) : q.isError ? (
        <ErrorState what="notes" error={q.error} />
      ) : (q.data ?? []).length === 0 ? (
        <Empty>No notes on this asset.</Empty>
      ) : (
        <ul className="note-list" data-testid="notes">
          {(q.data ?? []).map((n) => (
            <li key={n.noteId} data-note={n.noteId}>
              {editing?.noteId === n.noteId ? (
                <>
                  <textarea aria-label="Edit note" value={editing.body} rows={3} onChange={(e) => setEditing({ noteId: n.noteId, body: e.target.value })} />
                  <button type="button" onClick={() => save.mutate({ noteId: n.noteId, body: editing.body }, { onSuccess: () => setEditing(null) })}>
                    Save
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </>
              ) : (
                <>
                  <p className="note-body">{n.body}</p>
                  <span className="muted small">{formatUtc(n.updatedAt)}</span>{' '}
                  <button type="button" className="link" onClick={() => setEditing({ noteId: n.noteId, body: n.body })}>
                    Edit
                  </button>{' '}
                  <button type="button" className="link" onClick={() => remove.mutate(n.noteId)}>
                    Delete
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const KIND_LABEL: Record<AlertKind, string> = {
  score_above: 'Score rises above',
  score_below: 'Score falls below',
  price_move: 'Daily price move over (%)',
  audit_high: 'New high-severity audit finding',
};

function AlertRulesPanel({ assetId }: { assetId: string }) {
  const qc = useQueryClient();
  const q = useCall('ui.alertRules', { assetId });
  const [kind, setKind] = useState<AlertKind>('price_move');
  const [level, setLevel] = useState('10');
  const refresh = (): Promise<void> => invalidateAfter(qc, 'ui.alertRuleSave');
  const save = useMutation({
    mutationFn: () => {
      const n = Number(level);
      const threshold = kind === 'audit_high' ? null : kind === 'price_move' ? n / 100 : n;
      return client.call('ui.alertRuleSave', { assetId, kind, threshold });
    },
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (ruleId: string) => client.call('ui.alertRuleDelete', { ruleId }), onSuccess: refresh });
  return (
    <section className="panel">
      <h3>Alert rules</h3>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <select aria-label="Alert kind" value={kind} onChange={(e) => setKind(e.target.value as AlertKind)}>
          {(Object.keys(KIND_LABEL) as AlertKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </select>
        {kind !== 'audit_high' && <input aria-label="Alert level" value={level} size={6} onChange={(e) => setLevel(e.target.value)} />}
        <button type="submit" disabled={save.isPending}>
          Add rule
        </button>
      </form>
      {save.isError && <ErrorState what="the rule" error={save.error} />}
      {(q.data ?? []).length === 0 ? (
        <Empty>No alert rules for this asset.</Empty>
      ) : (
        <ul className="rule-list" data-testid="alert-rules">
          {(q.data ?? []).map((r) => (
            <li key={r.ruleId}>
              {KIND_LABEL[r.kind]} {r.threshold === null ? '' : r.kind === 'price_move' ? `${Number((r.threshold * 100).toPrecision(3))}%` : r.threshold}{' '}
              <button type="button" className="link" onClick={() => remove.mutate(r.ruleId)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
