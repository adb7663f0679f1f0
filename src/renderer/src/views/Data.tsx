/** Data: collectors (progress, last success, errors, rate limits), team sync, running work, services' health. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { ProviderStatus, QualityFlag, SourceStatus } from '../../../shared/contract/collect';
import { CoveragePanel } from '../components/Coverage';
import { CsvButton } from '../components/CsvButton';
import { DataTable, type Column } from '../components/DataTable';
import { Empty, ErrorState, Loading } from '../components/States';
import { ProgressBar, TaskList } from '../components/Tasks';
import { client } from '../lib/client';
import { formatCount, formatRate, formatUtc, serviceState } from '../lib/format';
import { invalidateAfter, invalidateCall, setCallData, useCall } from '../lib/calls';

const SOURCE_LABEL: Record<SourceStatus['source'], string> = {
  chain: 'Chain (Polygon RPC)',
  explorer: 'Explorer (Etherscan V2)',
  market: 'Market (CoinGecko)',
  tvl: 'TVL (DefiLlama)',
  github: 'Development (GitHub)',
  hf: 'Embeddings (Hugging Face)',
};

function Collectors() {
  const qc = useQueryClient();
  const status = useCall('collect.status', {}, { refetchInterval: (q) => (q.state.data?.sources.some((s) => s.running) ? 2000 : 15_000) });
  const run = useMutation({
    mutationFn: (source: SourceStatus['source'] | 'all') => client.call('collect.run', { source }),
    onSettled: () => invalidateAfter(qc, 'collect.run'),
  });
  const cancel = useMutation({ mutationFn: (source: SourceStatus['source'] | 'all') => client.call('collect.cancel', { source }), onSettled: () => invalidateAfter(qc, 'collect.cancel') });
  // Starting a run answers only when it ends; refresh at once so its progress shows.
  const start = (source: SourceStatus['source'] | 'all'): void => {
    run.mutate(source);
    setTimeout(() => void invalidateCall(qc, 'collect.status'), 300);
  };

  if (status.isLoading) return <Loading what="collectors" />;
  if (status.isError) return <ErrorState what="collectors" error={status.error} onRetry={() => void status.refetch()} />;
  const data = status.data;
  if (!data) return null;

  const providerCols: Column<ProviderStatus>[] = [
    { id: 'provider', header: 'Provider', align: 'left', value: (p) => p.provider },
    { id: 'calls', header: 'Calls', value: (p) => p.calls, render: (p) => formatCount(p.calls) },
    { id: 'cacheHits', header: 'Cache hits', value: (p) => p.cacheHits, render: (p) => formatCount(p.cacheHits) },
    { id: 'retries', header: 'Retries', value: (p) => p.retries },
    { id: 'failures', header: 'Failures', value: (p) => p.failures, render: (p) => <span className={p.failures > 0 ? 'down' : ''}>{p.failures}</span> },
    { id: 'lastStatus', header: 'Last HTTP', value: (p) => p.lastStatus },
    { id: 'remaining', header: 'Remaining / limit', value: (p) => p.remaining, render: (p) => (p.limit === null ? '—' : `${p.remaining ?? '?'} / ${p.limit}`) },
    { id: 'ratePerSec', header: 'Rate limit', value: (p) => p.ratePerSec, render: (p) => formatRate(p.ratePerSec), title: 'Requests the collector allows itself to this provider' },
    { id: 'rateLimitedUntil', header: 'Rate-limited until', value: (p) => p.rateLimitedUntil, render: (p) => (p.rateLimitedUntil ? <span className="down">{formatUtc(p.rateLimitedUntil)}</span> : '—') },
    { id: 'lastCallAt', header: 'Last call', value: (p) => p.lastCallAt, render: (p) => formatUtc(p.lastCallAt) },
  ];
  const qualityCols: Column<QualityFlag>[] = [
    { id: 'detectedAt', header: 'Detected', align: 'left', value: (f) => f.detectedAt, render: (f) => formatUtc(f.detectedAt) },
    { id: 'source', header: 'Source', align: 'left', value: (f) => f.source },
    { id: 'table', header: 'Table', align: 'left', value: (f) => f.table },
    { id: 'rowKey', header: 'Row', align: 'left', value: (f) => f.rowKey },
    { id: 'check', header: 'Check', align: 'left', value: (f) => f.check },
    { id: 'message', header: 'Message', align: 'left', value: (f) => f.message },
  ];

  return (
    <>
      {!data.network.online && (
        <p className="down" role="status">
          Offline since {formatUtc(data.network.since)}: no network to the data providers. Scheduled collection is paused; the next check is at {formatUtc(data.network.nextProbeAt)}.
        </p>
      )}
      <div className="toolbar">
        <button type="button" onClick={() => start('all')} disabled={data.sources.some((s) => s.running)}>
          Collect all now
        </button>
        {data.sources.some((s) => s.running) && (
          <button type="button" onClick={() => cancel.mutate('all')}>
            Cancel all
          </button>
        )}
        <span className="spacer" />
        <CsvButton
          name="defimon-collectors"
          header={['collector', 'running', 'done', 'total', 'last success', 'last items', 'last duration ms', 'last error code', 'last error', 'last error at']}
          rows={() => data.sources.map((s) => [s.source, s.running, s.done, s.total, s.lastSuccessAt, s.lastItems, s.lastDurationMs, s.lastError?.code, s.lastError?.message, s.lastErrorAt])}
        />
      </div>
      {run.isError && <ErrorState what="the collection" error={run.error} />}
      <table className="plain" data-testid="collectors">
        <thead>
          <tr>
            <th className="left">Collector</th>
            <th className="left">State</th>
            <th>Last success</th>
            <th>Items</th>
            <th>Took</th>
            <th className="left">Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data.sources.map((s) => (
            <tr key={s.source} data-source={s.source}>
              <td className="left">{SOURCE_LABEL[s.source] ?? s.source}</td>
              <td className="left" style={{ minWidth: 180 }}>
                {s.running ? (
                  <>
                    <ProgressBar done={s.done} total={s.total} label={`${s.source} progress`} />
                    <span className="small muted">
                      {s.done}
                      {s.total !== null ? ` / ${s.total}` : ''} {s.message ?? ''}
                    </span>
                  </>
                ) : (
                  <span className="muted">idle</span>
                )}
              </td>
              <td>{formatUtc(s.lastSuccessAt)}</td>
              <td>{formatCount(s.lastItems)}</td>
              <td>{s.lastDurationMs === null ? '—' : `${(s.lastDurationMs / 1000).toFixed(1)} s`}</td>
              <td className="left" title={s.lastError?.message}>
                {s.lastError ? (
                  <span className="down">
                    {s.lastError.code}: {s.lastError.message} <span className="muted">({formatUtc(s.lastErrorAt)})</span>
                  </span>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {s.running ? (
                  <button type="button" onClick={() => cancel.mutate(s.source)}>
                    Cancel
                  </button>
                ) : (
                  <button type="button" onClick={() => start(s.source)}>
                    Collect now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Providers and rate limits</h4>
      {data.providers.length === 0 ? <Empty>No provider has been called yet.</Empty> : <DataTable rows={data.providers} columns={providerCols} rowId={(p) => p.provider} testId="providers-table" csvName="defimon-providers" maxHeight={240} />}
      <h4>Data quality flags</h4>
      {data.quality.length === 0 ? <Empty>No data quality issue flagged.</Empty> : <DataTable rows={data.quality} columns={qualityCols} rowId={(f) => `${f.table}:${f.rowKey}:${f.check}`} testId="quality-table" csvName="defimon-quality-flags" maxHeight={240} />}
    </>
  );
}

function Sync() {
  const qc = useQueryClient();
  const status = useCall('sync.status', {}, { refetchInterval: 10_000 });
  useEffect(() => client.on('sync.status', (s) => setCallData(qc, 'sync.status', {}, s)), [qc]);
  const rejects = useCall('sync.rejects', { limit: 50 }, { enabled: (status.data?.rejected ?? 0) > 0 });
  const now = useMutation({ mutationFn: () => client.call('sync.now', {}), onSettled: () => invalidateAfter(qc, 'sync.now') });
  if (status.isLoading) return <Loading what="sync status" />;
  if (status.isError) return <ErrorState what="sync status" error={status.error} onRetry={() => void status.refetch()} />;
  const s = status.data;
  if (!s) return null;
  const online = s.configured && s.running && s.lastError === null;
  return (
    <div data-testid="sync">
      <p>
        <strong className={!s.configured ? 'muted' : online ? 'up' : 'down'}>{!s.configured ? 'Local only' : online ? 'Online' : 'Offline'}</strong>{' '}
        {!s.configured ? <span className="muted">— add a team Postgres URL in Settings to share data with the team.</span> : <span className="muted">{s.postgres ?? ''}</span>}
      </p>
      <dl className="facts">
        <div>
          <dt>Pending rows</dt>
          <dd data-testid="sync-pending">{formatCount(s.pending)}</dd>
        </div>
        <div>
          <dt>Pushed / pulled</dt>
          <dd>
            {formatCount(s.pushed)} / {formatCount(s.pulled)}
          </dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd className={s.rejected > 0 ? 'down' : ''}>{s.rejected}</dd>
        </div>
        <div>
          <dt>Last push</dt>
          <dd>{formatUtc(s.lastPushAt)}</dd>
        </div>
        <div>
          <dt>Last pull</dt>
          <dd>{formatUtc(s.lastPullAt)}</dd>
        </div>
        {s.redis ? (
          <div>
            <dt>Redis</dt>
            <dd className={s.redis.connected ? 'up' : 'down'}>{s.redis.connected ? 'connected' : 'disconnected'}</dd>
          </div>
        ) : null}
      </dl>
      {s.lastError ? (
        <p className="down">
          Last error ({formatUtc(s.lastErrorAt)}): {s.lastError}
          {s.nextRetryAt ? ` — retrying at ${formatUtc(s.nextRetryAt)}` : ''}
        </p>
      ) : null}
      <button type="button" disabled={!s.configured || now.isPending} onClick={() => now.mutate()}>
        {now.isPending ? 'Syncing…' : 'Sync now'}
      </button>
      {now.isError && <ErrorState what="the sync" error={now.error} />}
      {(rejects.data ?? []).length > 0 && (
        <ul className="small">
          {(rejects.data ?? []).map((r) => (
            <li key={r.id}>
              {formatUtc(r.at)} {r.direction} {r.table ?? ''}: {r.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function DataView() {
  const doctor = useCall('system.doctor');
  return (
    <div className="view">
      <h2>Data</h2>
      <section className="panel">
        <h3>Collectors</h3>
        <Collectors />
      </section>
      <CoveragePanel />
      <section className="panel">
        <h3>Team sync</h3>
        <Sync />
      </section>
      <section className="panel">
        <h3>Running work</h3>
        <TaskList />
      </section>
      <section className="panel">
        <h3>Services</h3>
        {doctor.isLoading ? (
          <Loading what="service checks" />
        ) : doctor.isError ? (
          <ErrorState what="service checks" error={doctor.error} onRetry={() => void doctor.refetch()} />
        ) : (doctor.data?.checks ?? []).length === 0 ? (
          <Empty>No checks.</Empty>
        ) : (
          <table className="plain" data-testid="doctor">
            <tbody>
              {(doctor.data?.checks ?? []).map((c) => (
                <tr key={c.name}>
                  <td className="left">{c.name}</td>
                  <td className={`left ${{ ok: 'up', failing: 'down', 'not configured': 'muted' }[serviceState(c)]}`} data-state={serviceState(c)}>
                    {serviceState(c)}
                  </td>
                  <td className="left muted">{c.message}</td>
                  <td>{c.latencyMs === null ? '' : `${c.latencyMs} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="toolbar">
          <button type="button" onClick={() => void doctor.refetch()}>
            Check again
          </button>
          <CsvButton name="defimon-service-checks" header={['service', 'ok', 'configured', 'message', 'latency ms']} rows={() => (doctor.data?.checks ?? []).map((c) => [c.name, c.ok, c.configured, c.message, c.latencyMs])} />
        </div>
      </section>
    </div>
  );
}
