/**
 * The one error shape that crosses every boundary (IPC, HTTP, CLI, worker).
 * Across a boundary check `code`, never `instanceof`.
 *
 * No schema library here: the audit worker and the CLI's light commands load this module and
 * nothing more (the client validates envelopes with its own schema, client.ts).
 */
import type { z } from 'zod';

export const ErrorCodes = [
  'INVALID_INPUT', // a payload failed its schema; `details.issues` names the fields
  'INVALID_OUTPUT', // a handler or peer answered with a payload that failed its schema
  'NOT_FOUND',
  'UNKNOWN_METHOD',
  'FORBIDDEN', // sender or API key not allowed
  'RATE_LIMITED',
  'UNAVAILABLE', // a configured service (Postgres, Redis, RPC) cannot be reached
  'UPSTREAM', // an external API answered with an error
  'MALFORMED_DATA', // a file or response that cannot be parsed
  'CONFLICT',
  'CANCELLED',
  'TIMEOUT',
  'NOT_CONFIGURED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ErrorCodes as readonly string[]).includes(value);
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown> | undefined;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** Any thrown value to the plain shape. Unknown errors become INTERNAL with their message. */
export function serializeError(err: unknown): SerializedError {
  if (isAppErrorLike(err)) {
    const out: SerializedError = { code: err.code, message: err.message, retryable: err.retryable };
    if (err.details !== undefined) out.details = err.details;
    return out;
  }
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message, retryable: false };
  return { code: 'INTERNAL', message: String(err), retryable: false };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deserializeError(value: unknown): AppError {
  if (!isPlainRecord(value)) return new AppError('INTERNAL', 'unrecognised error payload');
  const { code, message, retryable, details } = value;
  if (!isErrorCode(code) || typeof message !== 'string' || typeof retryable !== 'boolean' || (details !== undefined && !isPlainRecord(details))) {
    return new AppError('INTERNAL', 'unrecognised error payload');
  }
  return new AppError(code, message, details === undefined ? { retryable } : { retryable, details });
}

function isAppErrorLike(err: unknown): err is AppError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.message === 'string' && isErrorCode(e.code) && 'retryable' in e;
}

/** Turns a zod error into INVALID_INPUT naming each failing field. */
export function invalidInput(where: string, error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new AppError('INVALID_INPUT', `${where}: ${summary}`, { details: { issues } });
}
