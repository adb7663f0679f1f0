/**
 * The services process and its router, across a real process boundary (a Node child process
 * speaking the same messages as Electron's utility process): calls, events, a crash in the
 * middle of work, restart, and clean shutdown; and the host's handling of unexpected errors.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FromHost, HostChild, HostPort, ToHost } from '../../src/main/app/host-protocol';
import { runServicesHost } from '../../src/main/app/services-host';
import { createServicesRouter } from '../../src/main/app/services-router';
import { loadConfig } from '../../src/main/services/config/config';
import { tempDataDir } from '../helpers/services';

const HOST = path.resolve(__dirname, '../../src/main/app/services-host.ts');
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function spawnNodeHost(children: ReturnType<typeof fork>[]): () => HostChild {
  return () => {
    const child = fork(HOST, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, DEFIMON_SERVICES_HOST: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    children.push(child);
    return {
      post: (msg) => child.send(msg),
      onMessage: (l) => child.on('message', (m) => l(m as FromHost)),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const tmp = tempDataDir('host');
  const children: ReturnType<typeof fork>[] = [];
  cleanups.push(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    tmp.remove();
  });
  const config = loadConfig({ overrides: { dataDir: tmp.dir, autoImport: false, logLevel: 'silent' }, env: {} });
  const onUnexpectedExit = vi.fn();
  const router = createServicesRouter({ spawn: spawnNodeHost(children), config: () => config, log: quietLog, onUnexpectedExit });
  return { router, children, onUnexpectedExit, dir: tmp.dir };
}

describe('services process (real child process)', () => {
  it('answers calls, relays events, and closes the database cleanly on shutdown', async () => {
    const { router, children, dir } = setup();
    expect((await router.call('system.info', {})).ok).toBe(false); // not started: UNAVAILABLE, not a hang
    await router.start();
    expect(router.running).toBe(true);
    const info = await router.call('system.info', {});
    expect(info).toMatchObject({ ok: true, data: { dataDir: dir } });
    const events: string[] = [];
    router.subscribe((name) => events.push(name));
    await router.call('dataset.import', { dir: path.join(dir, 'missing') });
    await vi.waitFor(() => expect(events).toContain('progress'));
    // Calls in flight at once each get their own answer.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => router.call(i % 2 ? 'tasks.list' : 'assets.get', i % 2 ? {} : { assetId: `X${i}` })));
    expect(many.map((e) => e.ok)).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 1));
    await router.shutdown();
    expect(children[0]?.exitCode).toBe(0);
    expect(router.running).toBe(false);
    // Closed cleanly: the WAL was checkpointed into the database file and removed.
    expect(existsSync(path.join(dir, 'defimon.sqlite-wal'))).toBe(false);
    const db = new Database(path.join(dir, 'defimon.sqlite'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n).toBeGreaterThan(0);
    db.close();
  });

  it('survives a crash: pending calls answer UNAVAILABLE, the app is told, a restart works', async () => {
    const { router, children, onUnexpectedExit } = setup();
    await router.start();
    // Hold a call in flight, then kill the process under it.
    const inFlight = router.call('system.doctor', {});
    children[0]?.kill('SIGKILL');
    const answer = await inFlight;
    expect(answer).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
    await vi.waitFor(() => expect(onUnexpectedExit).toHaveBeenCalledTimes(1));
    expect(router.running).toBe(false);
    expect(await router.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await router.restart();
    expect((await router.call('system.info', {})).ok).toBe(true);
    await router.shutdown();
    expect(onUnexpectedExit).toHaveBeenCalledTimes(1);
  });

  it('reports a start-up failure instead of hanging', async () => {
    const tmp = tempDataDir('host-bad');
    cleanups.push(() => tmp.remove());
    // A data "directory" that is a file: the database cannot be created.
    const file = path.join(tmp.dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const children: ReturnType<typeof fork>[] = [];
    const config = loadConfig({ overrides: { dataDir: file, autoImport: false, logLevel: 'silent' }, env: {} });
    const router = createServicesRouter({ spawn: spawnNodeHost(children), config: () => config, log: quietLog });
    await expect(router.start()).rejects.toThrow(/failed to start|exited before it was ready/);
  });

  it('routes local methods in main without touching the services process', async () => {
    const local = { has: (m: string) => m.startsWith('settings.'), call: vi.fn(async () => ({ ok: true as const, data: 'local' })) };
    const spawn = vi.fn();
    const router = createServicesRouter({ spawn, config: () => loadConfig({ overrides: { dataDir: '/nonexistent' }, env: {} }), log: quietLog, local });
    expect(await router.call('settings.get', {})).toEqual({ ok: true, data: 'local' });
    expect(spawn).not.toHaveBeenCalled();
  });
});

describe('services host fault handling (in memory)', () => {
  function memoryPort(): HostPort & { sent: FromHost[]; deliver(msg: ToHost): void } {
    const listeners: ((m: ToHost) => void)[] = [];
    const port = {
      sent: [] as FromHost[],
      onMessage: (l: (m: ToHost) => void) => listeners.push(l),
      post: (m: FromHost) => port.sent.push(structuredClone(m)),
      deliver: (m: ToHost) => listeners.forEach((l) => l(structuredClone(m))),
    };
    return port;
  }

  it('logs and reports an uncaught exception, closes the services, and exits non-zero', async () => {
    const tmp = tempDataDir('host-fault');
    cleanups.push(() => tmp.remove());
    const port = memoryPort();
    const proc = new EventEmitter();
    const exit = vi.fn();
    runServicesHost({ port, exit, proc: proc as unknown as NodeJS.Process });
    port.deliver({ type: 'init', config: loadConfig({ overrides: { dataDir: tmp.dir, autoImport: false, logLevel: 'silent' }, env: {} }) });
    await vi.waitFor(() => expect(port.sent).toContainEqual({ type: 'ready' }));

    proc.emit('unhandledRejection', new Error('a stray promise with postgres://u:pw@h/db'));
    expect(port.sent.at(-1)).toMatchObject({ type: 'fault', fatal: false, context: 'unhandledRejection' });
    expect(exit).not.toHaveBeenCalled();

    proc.emit('uncaughtException', new TypeError('boom'));
    expect(port.sent.at(-1)).toMatchObject({ type: 'fault', fatal: true, context: 'uncaughtException', error: { code: 'INTERNAL', message: 'boom' } });
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(port.sent.at(-1)).toEqual({ type: 'closed' });
    // After closing, calls are refused rather than run against a closed database.
    port.deliver({ type: 'call', id: 7, method: 'system.info', input: {} });
    expect(port.sent.at(-1)).toMatchObject({ type: 'result', id: 7, envelope: { ok: false, error: { code: 'UNAVAILABLE' } } });
  });
});
