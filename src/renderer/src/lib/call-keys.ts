/**
 * Query keys and invalidation derived from the contract's method and event names, so renaming a
 * method renames its cache entry and its invalidation with it (no string keys to keep in step).
 *
 * - A query's key is `[method, input]`; `[method]` is the prefix that matches every input.
 * - Names are `<domain>.<what>`. After an event or a successful call of domain D, the queries of
 *   D are stale, and so are the read models (domain `ui`), which compose every domain's data.
 *   Names without a domain (`progress`) or whose domain has no queries change nothing here.
 */
import { methodNames, type EventName, type Input, type MethodName } from '../../../shared/contract';

/** The domain whose queries compose every other domain's data. */
export const READ_MODEL_DOMAIN = 'ui';

export type CallKey<M extends MethodName = MethodName> = readonly [M, Input<M> | Record<string, never>];

/** `[method, input]`; an absent input is `{}` so `useCall(m)` and `useCall(m, {})` share one entry. */
export function callKey<M extends MethodName>(method: M, input?: Input<M>): CallKey<M> {
  return [method, input ?? {}] as CallKey<M>;
}

/** `ml.trained` -> `ml`; a name without a dot has no domain (''). */
export function domainOf(name: string): string {
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : '';
}

/** Whether a cached query (by its key) is stale after `changed` (an event, or a call that succeeded). */
export function isStaleAfter(changed: EventName | MethodName, queryKey: readonly unknown[]): boolean {
  const domain = domainOf(changed);
  const method = queryKey[0];
  if (domain === '' || typeof method !== 'string') return false;
  const queried = domainOf(method);
  return queried === domain || queried === READ_MODEL_DOMAIN;
}

/** The query methods a change makes stale (for docs and tests). */
export function staleMethods(changed: EventName | MethodName): MethodName[] {
  return methodNames.filter((m) => isStaleAfter(changed, [m]));
}
