/** Data: collectors, running work, services' health and sync status. */
import { useQuery } from '@tanstack/react-query';
import { Empty, ErrorState, Loading, NotAvailable } from '../components/States';
import { TaskList } from '../components/Tasks';
import { client } from '../lib/client';

export function DataView() {
  const doctor = useQuery({ queryKey: ['system.doctor'], queryFn: () => client.call('system.doctor', {}) });
  return (
    <div className="view">
      <h2>Data</h2>
      <section className="panel">
        <h3>Running work</h3>
        <TaskList />
      </section>
      <section className="panel">
        <h3>Collectors</h3>
        <NotAvailable what="Collector status and scheduling" />
      </section>
      <section className="panel">
        <h3>Sync</h3>
        <NotAvailable what="Team sync status" />
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
                  <td className={`left ${c.ok ? 'up' : c.configured ? 'down' : 'muted'}`}>{c.ok ? 'ok' : c.configured ? 'failing' : 'not configured'}</td>
                  <td className="left muted">{c.message}</td>
                  <td>{c.latencyMs === null ? '' : `${c.latencyMs} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <button type="button" onClick={() => void doctor.refetch()}>
          Check again
        </button>
      </section>
    </div>
  );
}
