/**
 * The desktop shell's services process: start time, call round trips through the router, and
 * how responsive the main process stays while the services import the bundled dataset (against
 * the same import run in-process, which blocks the event loop it runs on). A Node child process
 * stands in for Electron's utility process; both pass structured-cloned messages over a pipe.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FromHost, HostChild } from '../src/main/app/host-protocol';
import { createServicesRouter } from '../src/main/app/services-router';
import { createServices } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { createLogger } from '../src/main/services/log/logger';

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'out/main/services-host.js');
const source = path.join(root, 'src/main/app/services-host.ts');

function spawnHost(): HostChild {
  const entry = existsSync(built) ? built : source;
  const child = fork(entry, [], { execArgv: entry === source ? ['--import', 'tsx'] : [], env: { ...process.env, DEFIMON_SERVICES_HOST: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  return {
    post: (m) => child.send(m),
    onMessage: (l) => child.on('message', (m) => l(m as FromHost)),
    onExit: (l) => child.on('exit', (c) => l(c)),
    kill: () => child.kill('SIGKILL'),
  };
}

/** The longest gap between ticks of a 10 ms timer: how long the event loop (the window, in the app) was unresponsive. */
function watchEventLoop(): { stop(): { maxGapMs: number; p99GapMs: number } } {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      gaps.push(performance.now() - last);
      gaps.sort((a, b) => a - b);
      return { maxGapMs: gaps[gaps.length - 1] ?? 0, p99GapMs: pct(gaps, 99) };
    },
  };
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-shell-'));
  try {
    const config = loadConfig({ overrides: { dataDir: path.join(dir, 'a'), autoImport: false, logLevel: 'silent' }, env: {} });
    const router = createServicesRouter({ spawn: spawnHost, config: () => config, log: quiet });
    const t0 = performance.now();
    await router.start();
    console.log(`services process start to ready (${existsSync(built) ? 'built JS' : 'TypeScript via tsx'}): ${(performance.now() - t0).toFixed(0)} ms`);

    const n = 2000;
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await router.call('tasks.list', {});
      times.push((performance.now() - s) * 1000);
    }
    times.sort((a, b) => a - b);
    console.log(`round trip main -> services -> main, ${n} sequential tasks.list: p50 ${pct(times, 50).toFixed(0)} µs, p99 ${pct(times, 99).toFixed(0)} µs`);
    const tc = performance.now();
    await Promise.all(Array.from({ length: n }, () => router.call('system.info', {})));
    console.log(`${n} concurrent system.info calls: ${(performance.now() - tc).toFixed(0)} ms (${Math.round(n / ((performance.now() - tc) / 1000))} calls/s)`);

    // Responsiveness of the main process while the services process imports the bundled dataset.
    const w = watchEventLoop();
    const ti = performance.now();
    const imported = await router.call('dataset.import', {});
    const importMs = performance.now() - ti;
    const gap = w.stop();
    if (!imported.ok) throw new Error(`import failed: ${imported.error.message}`);
    console.log(`bundled import in the services process: ${importMs.toFixed(0)} ms; main event loop meanwhile (10 ms timer): p99 gap ${gap.p99GapMs.toFixed(1)} ms, longest gap ${gap.maxGapMs.toFixed(1)} ms`);
    await router.shutdown();

    // The same import in-process, as it would run without the services process.
    const inproc = await createServices(loadConfig({ overrides: { dataDir: path.join(dir, 'b'), autoImport: false, logLevel: 'silent' }, env: {} }), { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
    const w2 = watchEventLoop();
    const tj = performance.now();
    await inproc.client.call('dataset.import', {});
    const inprocMs = performance.now() - tj;
    const gap2 = w2.stop();
    console.log(`same import in-process: ${inprocMs.toFixed(0)} ms; longest event-loop gap ${gap2.maxGapMs.toFixed(0)} ms (how long a window on this loop would freeze)`);
    await inproc.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
