/**
 * Crash reporting for the main process: an uncaught exception or unhandled rejection is logged
 * with its context (through the services' pino logger, secrets scrubbed) and shown to the user,
 * at most one dialog per `minDialogIntervalMs` so a failure loop cannot bury the screen. The
 * database lives in the services process, behind transactions, so main's failures cannot
 * corrupt it.
 */
import type { Logger } from '../services/log/logger';
import { scrubSecrets } from '../services/log/logger';

export interface CrashHandlerOptions {
  proc: Pick<NodeJS.Process, 'on' | 'off'>;
  log: Pick<Logger, 'fatal' | 'error'>;
  /** Shows the error (Electron's dialog.showErrorBox in the app). */
  showError(title: string, detail: string): void;
  /** Where the logs are, for the message. */
  logsDir: string;
  minDialogIntervalMs?: number;
  now?: () => number;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return scrubSecrets(`${err.name}: ${err.message}`);
  return scrubSecrets(String(err));
}

export function installCrashHandlers(opts: CrashHandlerOptions): () => void {
  const now = opts.now ?? Date.now;
  const interval = opts.minDialogIntervalMs ?? 10_000;
  let lastDialog = -Infinity;
  const report = (context: 'uncaughtException' | 'unhandledRejection', err: unknown): void => {
    if (context === 'uncaughtException') opts.log.fatal({ err, context, process: 'main' }, 'unexpected error in the main process');
    else opts.log.error({ err, context, process: 'main' }, 'unhandled promise rejection in the main process');
    const t = now();
    if (t - lastDialog < interval) return;
    lastDialog = t;
    try {
      opts.showError('DEFIMON hit an unexpected error', `${describeError(err)}\n\nYour data is safe. Details were written to the log in ${opts.logsDir}.`);
    } catch {
      // A dialog that cannot be shown must not throw from inside the crash handler.
    }
  };
  const onException = (err: unknown): void => report('uncaughtException', err);
  const onRejection = (reason: unknown): void => report('unhandledRejection', reason);
  opts.proc.on('uncaughtException', onException);
  opts.proc.on('unhandledRejection', onRejection);
  return () => {
    opts.proc.off('uncaughtException', onException);
    opts.proc.off('unhandledRejection', onRejection);
  };
}
