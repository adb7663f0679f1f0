/**
 * The renderer's data hooks, typed from the contract: `useCall(method, input)` is a query whose
 * key and result type come from the method; `useMutateCall(method)` calls a method and refreshes
 * what it changed; `useLiveInvalidation()` does the same for the services' events. Keys and
 * invalidation rules are in `call-keys.ts`.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient, type UseMutationOptions, type UseQueryOptions } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import { eventNames, type EventName, type Input, type MethodName, type Output } from '../../../shared/contract';
import { callKey, domainOf, isStaleAfter, type CallKey } from './call-keys';
import { client } from './client';

export type CallOptions<M extends MethodName> = Omit<UseQueryOptions<Output<M>, Error, Output<M>, CallKey<M>>, 'queryKey' | 'queryFn'>;

export function useCall<M extends MethodName>(method: M, input?: Input<M>, options?: CallOptions<M>) {
  return useQuery({ ...options, queryKey: callKey(method, input), queryFn: ({ signal }) => client.call(method, input, { signal }) });
}

/** Marks stale every cached query that `changed` affects; active ones refetch. */
export function invalidateAfter(qc: QueryClient, changed: EventName | MethodName): Promise<void> {
  return qc.invalidateQueries({ predicate: (q) => isStaleAfter(changed, q.queryKey) });
}

/** Refetches one method's queries (every input), nothing else. */
export function invalidateCall(qc: QueryClient, method: MethodName): Promise<void> {
  return qc.invalidateQueries({ queryKey: [method] });
}

/** Puts a method's answer in the cache, as if `useCall(method, input)` had fetched it. */
export function setCallData<M extends MethodName>(qc: QueryClient, method: M, input: Input<M> | undefined, data: Output<M>): void {
  qc.setQueryData(callKey(method, input), data);
}

/** Starts fetching what `useCall(method, input)` will ask for (a no-op when it is cached and fresh). */
export function prefetchCall<M extends MethodName>(qc: QueryClient, method: M, input: Input<M>): void {
  void qc.prefetchQuery({ queryKey: callKey(method, input), queryFn: ({ signal }) => client.call(method, input, { signal }) });
}

/** `invalidateAfter` bound to this component's query client. */
export function useInvalidateAfter(): (changed: EventName | MethodName) => Promise<void> {
  const qc = useQueryClient();
  return useCallback((changed) => invalidateAfter(qc, changed), [qc]);
}

export type MutateCallOptions<M extends MethodName> = Omit<UseMutationOptions<Output<M>, Error, Input<M>>, 'mutationFn'>;

/**
 * A call that changes data. After it settles (success or failure: a failed run may have written
 * part of its work) the queries it made stale are refreshed, then `options.onSettled` runs.
 */
export function useMutateCall<M extends MethodName>(method: M, options: MutateCallOptions<M> = {}) {
  const qc = useQueryClient();
  return useMutation<Output<M>, Error, Input<M>>({
    ...options,
    mutationFn: (input) => client.call(method, input),
    onSettled: async (...args) => {
      await invalidateAfter(qc, method);
      await options.onSettled?.(...args);
    },
  });
}

/** Events arrive in bursts (sync sends up to ~4 a second): refresh at most once per this. */
const EVENT_COALESCE_MS = 1000;

/**
 * Keeps cached views fresh when the services change data behind the renderer's back (a
 * scheduled retrain, an audit or a collection run from the CLI, rows pulled from the team):
 * every contract event with a domain invalidates what `isStaleAfter` says.
 */
export function useLiveInvalidation(): void {
  const qc = useQueryClient();
  useEffect(() => {
    // Leading and trailing: the first event of a burst refreshes at once, the last one is never lost.
    const timers = new Map<EventName, ReturnType<typeof setTimeout>>();
    const pending = new Set<EventName>();
    const refresh = (e: EventName): void => {
      void invalidateAfter(qc, e);
      timers.set(
        e,
        setTimeout(() => {
          timers.delete(e);
          if (pending.delete(e)) refresh(e);
        }, EVENT_COALESCE_MS),
      );
    };
    const offs = eventNames
      .filter((e) => domainOf(e) !== '')
      .map((e) => client.on(e, () => (timers.has(e) ? pending.add(e) : refresh(e))));
    return () => {
      offs.forEach((off) => off());
      timers.forEach((t) => clearTimeout(t));
    };
  }, [qc]);
}
