/** Shared queries and mutations of the analyst's own data. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client } from './client';

export function useWatchlist() {
  const q = useQuery({ queryKey: ['ui.watchlist'], queryFn: () => client.call('ui.watchlist', {}) });
  const watched = new Set((q.data ?? []).map((w) => w.assetId));
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (v: { assetId: string; watched: boolean }) => client.call('ui.watch', v),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['ui.watchlist'] }),
  });
  return { query: q, watched, toggle };
}
