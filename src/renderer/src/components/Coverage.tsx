/** Data coverage: each family from each source, from when to when, with rows and stale flags (one asset, or the whole store). */
import type { CoverageRun } from '../../../shared/contract/ui';
import { useCall } from '../lib/calls';
import { formatCount } from '../lib/format';
import { AsOf } from './AsOf';
import { DataTable, type Column } from './DataTable';
import { Empty, ErrorState, Loading } from './States';

const runId = (r: CoverageRun): string => `${r.family}:${r.source}:${r.scope ?? ''}`;

export function CoveragePanel({ assetId }: { assetId?: string }) {
  const q = useCall('ui.coverage', assetId === undefined ? {} : { assetId });
  const store = assetId === undefined;
  const columns: Column<CoverageRun>[] = [
    { id: 'family', header: 'Data', align: 'left', value: (r) => r.label },
    {
      id: 'source',
      header: 'Source',
      align: 'left',
      value: (r) => r.source,
      render: (r) => (
        <span title={r.sourceIds.join('\n')}>
          {r.source}
          {r.scope ? <span className="muted small"> ({r.scope})</span> : null}
        </span>
      ),
    },
    { id: 'from', header: 'From', value: (r) => r.from },
    {
      id: 'to',
      header: 'To',
      value: (r) => r.to,
      render: (r) => (
        <AsOf asOf={r.to} stale={r.stale} source={r.sourceIds[0]}>
          {r.stale ? <span className="badge-stale">stale</span> : r.to}
        </AsOf>
      ),
    },
    { id: 'rows', header: 'Rows', value: (r) => r.rows, render: (r) => formatCount(r.rows) },
    ...(store
      ? [
          { id: 'assets', header: 'Assets', value: (r: CoverageRun) => r.assets },
          { id: 'staleAssets', header: 'Of them stale', value: (r: CoverageRun) => r.staleAssets, render: (r: CoverageRun) => (r.staleAssets > 0 ? <span className="muted">{r.staleAssets}</span> : '0') },
        ]
      : []),
  ];
  const testId = store ? 'coverage-store' : 'coverage-asset';
  return (
    <section className="panel coverage">
      <h3>{store ? 'Data coverage by family and source' : 'Data coverage'}</h3>
      {q.isLoading ? (
        <Loading what="coverage" />
      ) : q.isError ? (
        <ErrorState what="coverage" error={q.error} onRetry={() => void q.refetch()} />
      ) : (q.data?.runs ?? []).length === 0 ? (
        <Empty>No data stored yet.</Empty>
      ) : (
        <>
          <p className="muted small">
            Dataset end {q.data?.dataEnd ?? '—'}; a family whose last day is more than {q.data?.staleAfterDays} days older is stale.
            {store ? ' An asset counts as stale in a row when its own last day there is.' : ' Sources are never spliced: each runs on its own.'}
          </p>
          <DataTable rows={q.data?.runs ?? []} columns={columns} rowId={runId} testId={testId} csvName={store ? 'defimon-coverage' : `${assetId}-coverage`} maxHeight={store ? 360 : 300} rowClassName={(r) => (r.stale ? 'stale-row' : '')} />
        </>
      )}
    </section>
  );
}
