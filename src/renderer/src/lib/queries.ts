/** Shared queries and mutations of the analyst's own data. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { client } from './client';

export function useWatchlist() {
  const q = useQuery({ queryKey: ['ui.watchlist'], queryFn: () => client.call('ui.watchlist', {}) });
  // Stable between renders, so tables that depend on it do not rebuild their columns each time.
  const watched = useMemo(() => new Set((q.data ?? []).map((w) => w.assetId)), [q.data]);
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (v: { assetId: string; watched: boolean }) => client.call('ui.watch', v),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['ui.watchlist'] }),
  });
  return { query: q, watched, toggle };
}
