import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStartedCalls, type Invoke } from './started-calls';

/** A transport that records what it sent and answers each call with a fresh envelope. */
function recorder() {
  const sent: { method: string; input: unknown }[] = [];
  const send: Invoke = (method, input) => {
    sent.push({ method, input });
    return Promise.resolve({ ok: true, data: { n: sent.length } });
  };
  return { sent, send };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('calls started ahead of their caller', () => {
  it('sends a started call once; the first identical call takes its answer, later ones send again', async () => {
    const { sent, send } = recorder();
    const calls = createStartedCalls(send);
    calls.start('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 2000, lastDays: 1461 });
    calls.start('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 2000, lastDays: 1461 });
    expect(sent).toHaveLength(1);
    await expect(calls.invoke('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 2000, lastDays: 1461 })).resolves.toEqual({ ok: true, data: { n: 1 } });
    expect(sent).toHaveLength(1);
    await expect(calls.invoke('ui.series', { assetId: 'AAVE', family: 'market', maxPoints: 2000, lastDays: 1461 })).resolves.toEqual({ ok: true, data: { n: 2 } });
    expect(sent).toHaveLength(2);
  });

  it('takes over only the identical method and input', async () => {
    const { sent, send } = recorder();
    const calls = createStartedCalls(send);
    calls.start('assets.get', { assetId: 'AAVE' });
    await calls.invoke('assets.get', { assetId: 'UNI' });
    await calls.invoke('ui.asset', { assetId: 'AAVE' });
    expect(sent.map((s) => s.method)).toEqual(['assets.get', 'assets.get', 'ui.asset']);
    await expect(calls.invoke('assets.get', { assetId: 'AAVE' })).resolves.toEqual({ ok: true, data: { n: 1 } });
    expect(sent).toHaveLength(3);
  });

  it('forgets a call nobody took over, so a late caller gets a fresh answer', async () => {
    vi.useFakeTimers();
    const { sent, send } = recorder();
    const calls = createStartedCalls(send, 1000);
    calls.start('system.info', {});
    vi.advanceTimersByTime(999);
    calls.start('system.info', {});
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await expect(calls.invoke('system.info', {})).resolves.toEqual({ ok: true, data: { n: 2 } });
  });

  it('passes the caller’s abort signal on when it sends itself', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const calls = createStartedCalls((_m, _i, signal) => {
      seen.push(signal);
      return Promise.resolve({ ok: true, data: null });
    });
    const signal = new AbortController().signal;
    await calls.invoke('system.info', {}, signal);
    expect(seen).toEqual([signal]);
  });

  it('lets the caller that takes a started call over cancel its request', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const calls = createStartedCalls((_m, _i, signal) => {
      signals.push(signal);
      return new Promise((resolve) => signal?.addEventListener('abort', () => resolve({ ok: false, error: { code: 'CANCELLED' } })));
    });
    calls.start('ui.series', { assetId: 'AAVE' });
    calls.start('system.info', {});
    expect(signals.map((s) => s?.aborted)).toEqual([false, false]);
    const mine = new AbortController();
    const answer = calls.invoke('ui.series', { assetId: 'AAVE' }, mine.signal);
    mine.abort();
    await expect(answer).resolves.toEqual({ ok: false, error: { code: 'CANCELLED' } });
    expect(signals.map((s) => s?.aborted)).toEqual([true, false]);
    // A signal already aborted when the call is taken over cancels it at once.
    const gone = new AbortController();
    gone.abort();
    await expect(calls.invoke('system.info', {}, gone.signal)).resolves.toEqual({ ok: false, error: { code: 'CANCELLED' } });
    expect(signals.map((s) => s?.aborted)).toEqual([true, true]);
  });

  it('cancels a started call nobody took over in time', () => {
    vi.useFakeTimers();
    const signals: (AbortSignal | undefined)[] = [];
    const calls = createStartedCalls((_m, _i, signal) => {
      signals.push(signal);
      return new Promise(() => undefined);
    }, 1000);
    calls.start('system.info', {});
    vi.advanceTimersByTime(999);
    expect(signals[0]?.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('does not leave a failed started call unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    // The test runs in Node; the renderer's types do not know its process object.
    const proc = (globalThis as unknown as { process: { on(e: string, f: (r: unknown) => void): void; off(e: string, f: (r: unknown) => void): void } }).process;
    proc.on('unhandledRejection', onUnhandled);
    try {
      const calls = createStartedCalls(() => Promise.reject(new Error('transport down')));
      calls.start('system.info', {});
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      await expect(calls.invoke('system.info', {})).rejects.toThrow('transport down');
    } finally {
      proc.off('unhandledRejection', onUnhandled);
    }
  });
});
