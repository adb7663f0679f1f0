/**
 * Keeps cached views fresh when the services change data behind the renderer's back (a
 * scheduled retrain, an audit or a collection run from the CLI, rows pulled from the team).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { eventNames, type EventName } from '../../../shared/contract';
import { client } from './client';

/** Which cached queries each event makes stale (by query-key prefix). */
export const STALE_AFTER: Partial<Record<EventName, string[]>> = {
  'ml.trained': ['ml.models', 'ml.abStatus', 'ml.schedule', 'ui.overview', 'ui.models', 'ui.series', 'ui.alerts'],
  'audit.completed': ['audit.list', 'audit.get', 'ui.overview', 'ui.contracts', 'ui.alerts'],
  'settings.changed': ['settings.get', 'system.info'],
};

export function useLiveInvalidation(): void {
  const qc = useQueryClient();
  useEffect(() => {
    const offs = (Object.keys(STALE_AFTER) as EventName[])
      .filter((e) => eventNames.includes(e))
      .map((e) => client.on(e, () => {
        for (const key of STALE_AFTER[e] ?? []) void qc.invalidateQueries({ queryKey: [key] });
      }));
    return () => offs.forEach((off) => off());
  }, [qc]);
}
