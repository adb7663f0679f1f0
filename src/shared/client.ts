/**
 * The typed client every consumer uses (renderer, CLI, tests). A transport moves
 * `{method, input}` and returns an envelope; the client validates input before sending and
 * output after receiving, so a wrong payload fails at the boundary with the field named.
 */
import { z } from 'zod';
import { contract, events, type EventName, type EventPayload, type Input, type MethodName, type Output } from './contract';
import { AppError, deserializeError, ErrorCodes, invalidInput } from './errors';

const SerializedError = z.object({
  code: z.enum(ErrorCodes),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const Envelope = z.union([
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: SerializedError }),
]);
export type Envelope = z.infer<typeof Envelope>;

export interface Transport {
  invoke(method: MethodName, input: unknown, signal?: AbortSignal): Promise<unknown>;
  subscribe?(listener: (name: string, payload: unknown) => void): () => void;
}

export type Client = {
  call<M extends MethodName>(method: M, input?: Input<M>, opts?: { signal?: AbortSignal }): Promise<Output<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

export function createClient(transport: Transport): Client {
  return {
    async call(method, input, opts) {
      const def = contract[method];
      if (def === undefined) throw new AppError('UNKNOWN_METHOD', `unknown method ${String(method)}`);
      const parsedIn = def.input.safeParse(input);
      if (!parsedIn.success) throw invalidInput(method, parsedIn.error);
      const raw = await transport.invoke(method, input ?? {}, opts?.signal);
      const env = Envelope.safeParse(raw);
      if (!env.success) throw new AppError('INVALID_OUTPUT', `${method}: the transport answered with an unrecognised envelope`);
      if (!env.data.ok) throw deserializeError(env.data.error);
      const parsedOut = def.output.safeParse(env.data.data);
      if (!parsedOut.success) {
        throw new AppError('INVALID_OUTPUT', `${method}: ${parsedOut.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      return parsedOut.data as never;
    },
    on(event, listener) {
      if (transport.subscribe === undefined) return () => {};
      const schema = events[event];
      return transport.subscribe((name, payload) => {
        if (name !== event) return;
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data as never);
      });
    },
  };
}
