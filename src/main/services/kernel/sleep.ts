import { AppError } from '../../../shared/errors';

/** Waits `ms`; rejects with CANCELLED as soon as `signal` aborts (or at once if it already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('CANCELLED', 'cancelled'));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AppError('CANCELLED', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
