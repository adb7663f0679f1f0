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
  /** Each started call with the controller of its request: the caller that takes it over can still cancel it. */
  const started = new Map<string, { answer: Promise<unknown>; abort: AbortController }>();
  return {
    /** Sends the call now; the first identical `invoke` takes its answer instead of sending again. */
    start(method: MethodName, input: unknown): void {
      const key = callKey(method, input);
      if (started.has(key)) return;
      const abort = new AbortController();
      const entry = { answer: send(method, input, abort.signal), abort };
      // Nobody may ever take it over: a failure must not go unhandled meanwhile.
      entry.answer.catch(() => undefined);
      started.set(key, entry);
      setTimeout(() => {
        if (started.get(key) !== entry) return;
        // Nobody took it over: its answer would be old by the time anyone asks.
        started.delete(key);
        entry.abort.abort();
      }, unclaimedMs);
    },
    /**
     * `send`, except that a started identical call is taken over (once) instead of sent again;
     * the taker's signal then cancels that request as it would its own.
     */
    invoke: ((method, input, signal) => {
      const key = callKey(method, input);
      const entry = started.get(key);
      if (entry === undefined) return send(method, input, signal);
      started.delete(key);
      if (signal) {
        if (signal.aborted) entry.abort.abort(signal.reason);
        else signal.addEventListener('abort', () => entry.abort.abort(signal.reason), { once: true });
      }
      return entry.answer;
    }) as Invoke,
  };
}
