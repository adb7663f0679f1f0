/** The ranked universe: filters, search, a virtualised table, top movers and the score distribution. */
import { useEffect, useMemo, useState } from 'react';
import type { OverviewRow } from '../../../shared/contract/ui';
import { AsOf } from '../components/AsOf';
import { Chart } from '../components/Chart';
import { TaskList } from '../components/Tasks';
import { DataTable, type Column } from '../components/DataTable';
import { Empty, ErrorState, Loading } from '../components/States';
import { histogramOption, scoreHistogram } from '../lib/chart-options';
import { formatCount, formatPct, formatScore, formatShare, formatUsd } from '../lib/format';
import { categoriesOf, currentScores, filterOverview, NO_FILTERS, parseUsdAmount, staleSpan, topMovers, type OverviewFilters } from '../lib/overview-filter';
import { useWatchlist } from '../lib/queries';
import { navigate } from '../lib/route';
import { useThemeValue } from '../lib/theme-context';
import { useCall } from '../lib/calls';
import { preloadView } from '../lib/first-sight';

const signed = (n: number | null) => <span className={n === null ? '' : n >= 0 ? 'up' : 'down'}>{formatPct(n)}</span>;

type AsOfOf = (r: OverviewRow) => { asOf: string | null; stale: boolean; source: string | null; scope?: string | null; testId?: string };

/** A column whose cell shows the value with its own as-of day, staleness and source; the CSV adds the day. */
function asOfColumn(id: string, header: string, value: (r: OverviewRow) => number | null, format: (v: number | null) => string, at: AsOfOf, title?: string): Column<OverviewRow> {
  return { id, header, value, asOf: (r) => at(r).asOf, render: (r) => <AsOf {...at(r)}>{format(value(r))}</AsOf>, ...(title === undefined ? {} : { title }) };
}

/** Price, market cap and volume: the market row's day and source. */
const market: AsOfOf = (r) => ({ asOf: r.lastDay, stale: r.staleSince !== null, source: r.marketSource });

export function Overview() {
  const query = useCall('ui.overview');
  const { watched, toggle } = useWatchlist();
  const toggleWatch = toggle.mutate;
  const [filters, setFilters] = useState<OverviewFilters>(NO_FILTERS);
  const [mcapText, setMcapText] = useState('');
  const theme = useThemeValue();
  const rows = useMemo(() => query.data?.rows ?? [], [query.data]);
  const shown = useMemo(() => filterOverview(rows, filters, watched), [rows, filters, watched]);
  const categories = useMemo(() => categoriesOf(rows), [rows]);
  const movers = useMemo(() => topMovers(rows, query.data?.asOf ?? null), [rows, query.data?.asOf]);
  const histogram = useMemo(() => scoreHistogram(currentScores(rows)), [rows]);
  const stale = useMemo(() => staleSpan(rows), [rows]);
  // Scores whose day is itself stale are not a current distribution.
  const staleScoreDay = useMemo(() => (rows.some((r) => r.score !== null && !r.scoreStale) ? null : (rows.find((r) => r.score !== null)?.scoreDay ?? null)), [rows]);
  const set = (patch: Partial<OverviewFilters>): void => setFilters((f) => ({ ...f, ...patch }));
  const mcapInvalid = parseUsdAmount(mcapText) === null;
  const listed = rows.length > 0;
  useEffect(() => {
    // The overview leads to asset pages: once it is listed and the browser is idle, their code and
    // the chart library load, so opening one waits only for its data.
    if (!listed) return;
    const id = requestIdleCallback(() => void preloadView('asset'));
    return () => cancelIdleCallback(id);
  }, [listed]);

  const columns = useMemo<Column<OverviewRow>[]>(
    () => [
      {
        id: 'watch',
        header: '★',
        title: 'On the watchlist',
        align: 'center',
        width: 28,
        value: (r) => (watched.has(r.assetId) ? 1 : 0),
        render: (r) => {
          const on = watched.has(r.assetId);
          return (
            <button
              type="button"
              className={`star ${on ? 'on' : ''}`}
              aria-label={on ? `Remove ${r.symbol} from the watchlist` : `Add ${r.symbol} to the watchlist`}
              aria-pressed={on}
              onClick={(e) => {
                e.stopPropagation();
                toggleWatch({ assetId: r.assetId, watched: !on });
              }}
            >
              {on ? '★' : '☆'}
            </button>
          );
        },
      },
      { id: 'symbol', header: 'Symbol', align: 'left', value: (r) => r.symbol, render: (r) => <strong>{r.symbol}</strong> },
      { id: 'name', header: 'Name', align: 'left', value: (r) => r.name },
      { id: 'category', header: 'Category', align: 'left', value: (r) => r.category },
      asOfColumn('score', 'Score', (r) => r.score, formatScore, (r) => ({ asOf: r.scoreDay, stale: r.scoreStale, source: 'model' }), 'Ensemble investment score, 0-100: the percentile of the models’ predicted 30-day return relative to the universe'),
      { id: 'confidence', header: 'Conf.', value: (r) => r.confidence, render: (r) => formatShare(r.confidence) },
      asOfColumn('price', 'Price', (r) => r.price, formatUsd, market),
      { id: 'return7d', header: '7d', value: (r) => r.return7d, asOf: (r) => r.lastDay, render: (r) => (r.staleSince ? <span className="stale">{formatPct(r.return7d)}</span> : signed(r.return7d)) },
      { id: 'return30d', header: '30d', value: (r) => r.return30d, asOf: (r) => r.lastDay, render: (r) => (r.staleSince ? <span className="stale">{formatPct(r.return30d)}</span> : signed(r.return30d)) },
      asOfColumn('marketCap', 'Market cap', (r) => r.marketCap, formatUsd, (r) => ({ asOf: r.marketCapDay, stale: r.marketCapStale, source: r.marketCapSource })),
      asOfColumn('volume', 'Volume 24h', (r) => r.volume, formatUsd, (r) => ({ asOf: r.volumeDay, stale: r.volumeStale, source: r.volumeSource })),
      asOfColumn('tvl', 'TVL', (r) => r.tvl, formatUsd, (r) => ({ asOf: r.tvlDay, stale: r.tvlStale, source: r.tvlSource, scope: r.tvlScope, testId: `tvl-${r.assetId}` })),
      asOfColumn('commits12w', 'Commits 12w', (r) => r.commits12w, formatCount, (r) => ({ asOf: r.devWeek, stale: r.devStale, source: 'github' })),
      { id: 'auditScore', header: 'Audit', value: (r) => r.auditScore, render: (r) => formatScore(r.auditScore), title: 'Lowest audit score among the asset’s audited contracts' },
      {
        id: 'lastDay',
        header: 'As of (UTC)',
        value: (r) => r.lastDay,
        render: (r) => (r.staleSince ? <span className="badge-stale" title="Market data ended before the dataset’s current window">stale since {r.staleSince}</span> : r.lastDay),
      },
    ],
    [watched, toggleWatch],
  );

  if (query.isLoading) return <Loading what="the overview" />;
  if (query.isError) return <ErrorState what="the overview" error={query.error} onRetry={() => void query.refetch()} />;
  if (rows.length === 0) return <Empty>No assets yet. Run <code>defimon import</code> to load the bundled dataset.</Empty>;

  const toolbar = (
    <>
      <input id="overview-search" aria-label="Search assets" placeholder="Search symbol or name  ( / )" value={filters.search} onChange={(e) => set({ search: e.target.value })} />
      <select aria-label="Category" value={filters.category} onChange={(e) => set({ category: e.target.value })}>
        <option value="">All categories</option>
        {categories.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <select aria-label="Chain" value={filters.chain} onChange={(e) => set({ chain: e.target.value })}>
        <option value="">Any chain</option>
        <option value="polygon">Polygon</option>
        <option value="ethereum">Ethereum</option>
      </select>
      <input
        aria-label="Minimum market cap"
        aria-invalid={mcapInvalid}
        className={mcapInvalid ? 'invalid' : ''}
        placeholder="Min market cap (e.g. 100M)"
        value={mcapText}
        size={14}
        onChange={(e) => {
          setMcapText(e.target.value);
          const v = parseUsdAmount(e.target.value);
          if (v !== null) set({ minMarketCap: v });
        }}
      />
      <label>
        <input type="checkbox" checked={filters.hasAudit} onChange={(e) => set({ hasAudit: e.target.checked })} /> Audited
      </label>
      <label>
        <input type="checkbox" checked={filters.watchedOnly} onChange={(e) => set({ watchedOnly: e.target.checked })} /> Watchlist
      </label>
      {stale ? (
        <label title={`Assets whose market data ended more than ${query.data?.staleAfterDays ?? 30} days before ${query.data?.asOf ?? 'the dataset’s end'}`}>
          <input type="checkbox" data-testid="filter-stale" checked={filters.includeStale} onChange={(e) => set({ includeStale: e.target.checked })} /> Delisted/stale since {stale.from === stale.to ? stale.from : `${stale.from} – ${stale.to}`} ({stale.count})
        </label>
      ) : null}
    </>
  );

  return (
    <div className="overview">
      <div className="cards">
        <section className="panel movers" data-testid="movers">
          <h3>Top movers, 7 days {query.data?.asOf ? <span className="muted">to {query.data.asOf}</span> : null}</h3>
          <div className="mover-cols">
            {(['up', 'down'] as const).map((side) => (
              <ul key={side}>
                {movers[side].map((r) => (
                  <li key={r.assetId}>
                    <a href={`#/asset/${encodeURIComponent(r.assetId)}`}>{r.symbol}</a> {signed(r.return7d)}
                  </li>
                ))}
                {movers[side].length === 0 && <li className="muted">none</li>}
              </ul>
            ))}
          </div>
        </section>
        <section className="panel distribution">
          <h3>
            Score distribution {query.data?.asOf ? <span className="muted">current assets, {query.data.asOf}</span> : null}
          </h3>
          {query.data?.scored && staleScoreDay ? (
            <Empty>
              <span data-testid="scores-stale">
                The latest scores are from {staleScoreDay}, more than {query.data.staleAfterDays} days before the data’s end ({query.data.asOf}): they are greyed in the table. Retrain in Models for current scores.
              </span>
            </Empty>
          ) : query.data?.scored ? (
            <Chart option={histogramOption(histogram, theme === 'dark')} testId="score-histogram" filename="score-distribution" height={150} summary={histogram} />
          ) : (
            <>
              <Empty>No scores yet: the models have not scored this universe. A training started after the import shows here; otherwise train and score them in Models.</Empty>
              <TaskList kinds={['ml.train']} />
            </>
          )}
        </section>
      </div>
      {shown.length === 0 && <Empty>No asset matches these filters.</Empty>}
      <DataTable
        rows={shown}
        columns={columns}
        rowId={(r) => r.assetId}
        testId="overview-table"
        csvName="defimon-overview"
        initialSort={query.data?.scored ? [{ id: 'score', desc: true }] : [{ id: 'marketCap', desc: true }]}
        onOpen={(r) => navigate({ view: 'asset', assetId: r.assetId })}
        rowClassName={(r) => (r.staleSince ? 'stale-row' : '')}
        toolbar={toolbar}
        maxHeight={560}
      />
    </div>
  );
}
