/** Calls sent ahead of the code that makes them, taken over by the first identical call. */
import type { MethodName } from '../../../shared/contract';

/** Moves `{method, input}` and resolves with the answer's envelope (not yet validated). */
export type Invoke = (method: MethodName, input: unknown, signal?: AbortSignal) => Promise<unknown>;

/** How long a started call waits to be taken over before it is forgotten (its answer may be old by then). */
const UNCLAIMED_MS = 10_000;

const callKey = (method: MethodName, input: unknown): string => `${method} ${JSON.stringify(input ?? {})}`;

/**
 * Calls started ahead of their caller, by method and input. `invoke` sends the input as
 * `JSON.stringify(input ?? {})`, so an identical body means an identical call.
 */
export function createStartedCalls(send: Invoke, unclaimedMs = UNCLAIMED_MS) {
  const started = new Map<string, Promise<unknown>>();
  return {
    /** Sends the call now; the first identical `invoke` takes its answer instead of sending again. */
    start(method: MethodName, input: unknown): void {
      const key = callKey(method, input);
      if (started.has(key)) return;
      const answer = send(method, input);
      started.set(key, answer);
      setTimeout(() => {
        if (started.get(key) === answer) started.delete(key);
      }, unclaimedMs);
    },
    /** `send`, except that a started identical call is taken over (once) instead of sent again. */
    invoke: ((method, input, signal) => {
      const key = callKey(method, input);
      const answer = started.get(key);
      if (answer === undefined) return send(method, input, signal);
      started.delete(key);
      return answer;
    }) as Invoke,
  };
}

