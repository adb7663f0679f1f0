/** Long work in progress (imports, collection, training): progress bars fed by `progress` events, with cancel. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { EventPayload } from '../../../shared/contract';
import { client } from '../lib/client';
import { Empty, ErrorState } from './States';
import { invalidateAfter, useCall } from '../lib/calls';

type Progress = EventPayload<'progress'>;

export function useProgress(): Map<string, Progress> {
  const [map, setMap] = useState(() => new Map<string, Progress>());
  const qc = useQueryClient();
  useEffect(
    () =>
      client.on('progress', (p) => {
        setMap((m) => {
          const next = new Map(m);
          if (p.finished) next.delete(p.taskId);
          else next.set(p.taskId, p);
          return next;
        });
        if (p.finished) void qc.invalidateQueries();
      }),
    [qc],
  );
  return map;
}

export function ProgressBar({ done, total, label }: { done: number; total: number | null; label: string }) {
  const pct = total && total > 0 ? Math.min(100, (done / total) * 100) : null;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total ?? undefined} aria-valuenow={done}>
      <div className={`bar ${pct === null ? 'indeterminate' : ''}`} style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

export function TaskList({ kinds }: { kinds?: readonly string[] }) {
  const live = useProgress();
  const q = useCall('tasks.list', {}, { refetchInterval: live.size > 0 ? 2000 : 10_000 });
  const qc = useQueryClient();
  const cancel = useMutation({ mutationFn: (taskId: string) => client.call('tasks.cancel', { taskId }), onSuccess: () => invalidateAfter(qc, 'tasks.cancel') });
  if (q.isError) return <ErrorState what="running tasks" error={q.error} />;
  const tasks = (q.data ?? []).filter((t) => !kinds || kinds.includes(t.kind));
  if (tasks.length === 0) return <Empty>Nothing running.</Empty>;
  return (
    <ul className="task-list" data-testid="tasks">
      {tasks.map((t) => {
        // The newer of the last event and the last poll: a line never steps back.
        const ev = live.get(t.taskId);
        const p = ev && ev.done >= t.done ? ev : undefined;
        const done = p?.done ?? t.done;
        const total = p?.total ?? t.total;
        return (
          <li key={t.taskId}>
            <strong>{t.kind}</strong> <span className="muted">{p?.message ?? t.message ?? ''}</span>
            <ProgressBar done={done} total={total} label={`${t.kind} progress`} />
            <span className="muted small">
              {done}
              {total !== null ? ` / ${total}` : ''}
              {p?.etaMs ? ` · about ${Math.ceil(p.etaMs / 1000)} s left` : ''}
            </span>{' '}
            <button type="button" onClick={() => cancel.mutate(t.taskId)}>
              Cancel
            </button>
          </li>
        );
      })}
    </ul>
  );
}
