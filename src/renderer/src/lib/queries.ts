/** Shared queries and mutations of the analyst's own data. */
import { useMemo } from 'react';
import { useCall, useMutateCall } from './calls';

export function useWatchlist() {
  const q = useCall('ui.watchlist');
  // Stable between renders, so tables that depend on it do not rebuild their columns each time.
  const watched = useMemo(() => new Set((q.data ?? []).map((w) => w.assetId)), [q.data]);
  const toggle = useMutateCall('ui.watch');
  return { query: q, watched, toggle };
}
