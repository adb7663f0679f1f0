/**
 * The single dispatcher every transport uses (IPC, HTTP, in-process): parse the input with the
 * method's schema, run the handler, parse its output, and answer a serialisable envelope.
 */
import type { z } from 'zod';
import type { Envelope } from '../../../shared/client';
import { contract, isMethodName, type MethodName, type Output, type ParsedInput } from '../../../shared/contract';
import { AppError, invalidInput, serializeError } from '../../../shared/errors';
import type { Logger } from '../log/logger';
import { scrubSecrets } from '../log/redact';

export interface CallContext {
  /** Which transport the call came through. */
  origin: 'ipc' | 'http' | 'cli' | 'test';
  /**
   * An HTTP caller authenticated with one of the server's admin keys: it may change where code
   * and data come from (see settings). Never set for any other HTTP caller.
   */
  admin?: boolean;
  signal?: AbortSignal;
}

export type Handler<M extends MethodName> = (input: ParsedInput<M>, ctx: CallContext) => Promise<Output<M>> | Output<M>;
export type Handlers = { [M in MethodName]: Handler<M> };
/** A domain's share of the handlers. */
export type HandlersFor<T extends Record<string, unknown>> = { [M in keyof T & MethodName]: Handler<M> };

export async function dispatch(handlers: Handlers, method: string, rawInput: unknown, ctx: CallContext, log?: Logger): Promise<Envelope> {
  try {
    if (!isMethodName(method)) throw new AppError('UNKNOWN_METHOD', `unknown method "${method}"`);
    const def = contract[method];
    const parsed = (def.input as z.ZodType).safeParse(rawInput ?? undefined);
    if (!parsed.success) throw invalidInput(method, parsed.error);
    const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown;
    const result = await handler(parsed.data, ctx);
    const out = (def.output as z.ZodType).safeParse(result);
    if (!out.success) {
      log?.error({ method, issues: out.error.issues.slice(0, 5) }, 'handler returned output that fails its schema');
      throw new AppError('INVALID_OUTPUT', `${method} produced an invalid result`);
    }
    return { ok: true, data: out.data };
  } catch (err) {
    // An error's message may quote a URL or token it met (a driver, a provider): scrubbed before
    // it crosses to any transport.
    const raw = serializeError(err);
    const error = { ...raw, message: scrubSecrets(raw.message) };
    if (error.code === 'INTERNAL') log?.error({ method, err }, 'handler failed');
    else log?.debug({ method, code: error.code, message: error.message }, 'call rejected');
    return { ok: false, error };
  }
}
