/**
 * Structured logs (pino) to a rotating file in `<dataDir>/logs`, optionally also to stderr.
 * Secrets never reach a log: known secret fields are redacted by path, and every string value
 * passes through `scrubSecrets` (log/redact.ts), which masks URL credentials and key-like path segments and query values.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { scrubSecrets } from './redact';

export type { Logger };

const SECRET_FIELD = /(password|secret|token|api_?key|apikey|authorization|pgurl|redisurl|rpcurl|rpcwsurl|pgreplicaurl|serverapikeys)$/i;

export { scrubSecrets };

function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === 'string') return scrubSecrets(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubSecrets(value.message), code: (value as { code?: unknown }).code, stack: value.stack ? scrubSecrets(value.stack) : undefined };
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v !== undefined ? '***' : scrubValue(v, depth + 1);
    return out;
  }
  return value;
}

export interface LoggerOptions {
  dataDir: string;
  level: string;
  toStderr: boolean;
  /** Keep logs in memory only (tests that read what was logged). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = {
    level: opts.level,
    base: { app: 'defimon' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (obj: Record<string, unknown>) => scrubValue(obj) as Record<string, unknown> },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)));
      },
    },
  };
  if (opts.level === 'silent') return pino({ ...base, level: 'silent' });
  if (opts.destination) return pino(base, opts.destination as never);
  const dir = path.join(opts.dataDir, 'logs');
  const targets: pino.TransportTargetOptions[] = [];
  try {
    // Logs name files, hosts and errors of this analyst's work: owner-only, like the database.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    targets.push({ target: 'pino-roll', level: opts.level, options: { file: path.join(dir, 'defimon'), extension: '.log', frequency: 'daily', size: '10m', limit: { count: 7 }, mkdir: true, mode: 0o600 } });
  } catch (err) {
    // A read-only data directory still serves reads: it just keeps no log file.
    const code = (err as { code?: unknown }).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw err;
  }
  if (targets.length === 0 && !opts.toStderr) return pino({ ...base, level: 'silent' });
  if (opts.toStderr) targets.push({ target: 'pino/file', level: opts.level, options: { destination: 2 } });
  return pino(base, pino.transport({ targets }));
}
