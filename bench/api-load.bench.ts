/**
 * (bench/api.bench.ts measures the same read models in-process, without training; this one puts
 * the server in its own process, as the analyst runs it, and adds training and the cache.)
 *
 * API throughput: `ui.overview` and `ui.series` over HTTP on loopback against `defimon serve` on
 * the bundled dataset, at 10 and 50 connections, alone and while the same server trains a model;
 * with the read-model cache (default) and without it (DEFIMON_READ_CACHE=false: the "before").
 * The load generator is autocannon with a fixed number of connections and a fixed duration per
 * run (bounded), in this process; the server is a child process.
 * Prints requests/s, p99 and max latency, and any non-2xx answers or errors per run.
 *
 * Each run starts from a drained server: when a run's time is up, requests the server had
 * already accepted are still being computed (an uncached read model takes a while), so before
 * the next run the bench waits until the server answers a cheap request at once again; the
 * drain time is printed beside the figures of the run that left that backlog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { machineLine } from './util';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'defimon.cjs');
/** Seconds per load run. */
const DURATION_S = 8;

function cli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...process.env, DEFIMON_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function serve(dataDir: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = cli(['serve', '--port', '0', '--no-import', '--data-dir', dataDir], env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 600; i++) {
    const m = /serving at (http:\/\/\S+)/.exec(out);
    if (m) return { url: m[1] as string, child };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start: ${out.slice(-500)}`);
}

async function call(url: string, method: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

interface Figures {
  rps: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  /** How long the server took, after the run, to work off the requests it had accepted. */
  drainMs: number;
  /** `/health` asked every 100 ms during the run: its slowest answers (is the request thread free?). */
  healthP99: number;
  healthMax: number;
}

/** Asks /health every 100 ms until stopped; the latencies. */
function probeHealth(url: string): { stop: () => Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(`${url}/health`).then((r) => r.arrayBuffer()).catch(() => undefined);
      times.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return times;
    },
  };
}

/** Waits until the server has worked off what earlier runs queued: /health answers fast three times in a row. */
async function drain(url: string): Promise<number> {
  const t0 = performance.now();
  let fast = 0;
  while (fast < 3 && performance.now() - t0 < 300_000) {
    const t = performance.now();
    await fetch(`${url}/health`).then((r) => r.arrayBuffer()).catch(() => undefined);
    fast = performance.now() - t < 50 ? fast + 1 : 0;
  }
  return performance.now() - t0;
}

async function load(url: string, method: string, body: unknown, connections: number): Promise<Figures> {
  const health = probeHealth(url);
  const r = await autocannon({
    url: `${url}/api/${method}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    connections,
    duration: DURATION_S,
  });
  const h = (await health.stop()).sort((a, b) => a - b);
  const healthP99 = Math.round(h[Math.min(h.length - 1, Math.floor(h.length * 0.99))] ?? 0);
  return { rps: r.requests.average, p99: r.latency.p99, max: r.latency.max, non2xx: r.non2xx, errors: r.errors + r.timeouts, drainMs: await drain(url), healthP99, healthMax: Math.round(h[h.length - 1] ?? 0) };
}

function line(mode: string, when: string, method: string, conns: number, f: Figures): void {
  console.log(
    `API ${method.padEnd(12)} ${mode.padEnd(16)} ${when.padEnd(15)} ${String(conns).padStart(2)} conns: ${f.rps.toFixed(0).padStart(6)} req/s, p99 ${String(f.p99).padStart(5)} ms, max ${String(f.max).padStart(5)} ms; /health p99 ${String(f.healthP99).padStart(5)} ms, max ${String(f.healthMax).padStart(5)} ms; drained in ${String(Math.round(f.drainMs)).padStart(5)} ms${f.non2xx || f.errors ? ` (non-2xx ${f.non2xx}, errors ${f.errors})` : ''}`,
  );
}

/**
 * The server's modes: the read-model cache with the worker (default); without the cache, read
 * models computed in the worker; without either (the "before": every read computed on the
 * request thread). `DEFIMON_API_BENCH_MODES=default,inline` picks some.
 */
const MODES: { name: string; env: Record<string, string> }[] = [
  { name: 'default', env: {} },
  { name: 'nocache-worker', env: { DEFIMON_READ_CACHE: 'false' } },
  { name: 'nocache-inline', env: { DEFIMON_READ_CACHE: 'false', DEFIMON_READ_WORKER: 'false' } },
];

export async function run(): Promise<void> {
  console.log(`${machineLine()}; ${DURATION_S} s per run (as of ${new Date().toISOString().slice(0, 10)})`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defimon-api-bench-'));
  try {
    // The rate limit is not what is measured here: lifted for this data directory only.
    writeFileSync(path.join(dataDir, 'defimon.config.json'), JSON.stringify({ server: { rateLimitPerMinute: 100_000_000 } }));
    const imp = cli(['import', '--data-dir', dataDir]);
    if ((await finished(imp)) !== 0) throw new Error('the bundled import failed');
    const targets: [string, unknown][] = [
      ['ui.overview', {}],
      ['ui.series', { assetId: 'UNI', family: 'market' }],
    ];
    const wanted = process.env.DEFIMON_API_BENCH_MODES?.split(',');
    for (const { name: cache, env } of MODES.filter((m) => !wanted || wanted.includes(m.name))) {
      const { url, child } = await serve(dataDir, env);
      try {
        for (const [method, body] of targets) {
          await call(url, method, body); // first computation outside the figures
          await drain(url);
          for (const conns of [10, 50]) line(cache, 'alone', method, conns, await load(url, method, body, conns));
        }
        // Training in the same server (a worker thread), then the same loads while it runs.
        const training = call(url, 'ml.train', { folds: 3 }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 2000));
        for (const [method, body] of targets) {
          for (const conns of [10, 50]) {
            const tasks = (await call(url, 'tasks.list', {})) as { data?: { kind: string }[] };
            const busy = tasks.data?.some((t) => t.kind === 'ml.train') ?? false;
            line(cache, busy ? 'during training' : 'after training', method, conns, await load(url, method, body, conns));
          }
        }
        const tasks = (await call(url, 'tasks.list', {})) as { data?: { taskId: string; kind: string }[] };
        for (const t of tasks.data ?? []) if (t.kind === 'ml.train') await call(url, 'tasks.cancel', { taskId: t.taskId });
        await training;
      } finally {
        child.kill('SIGTERM');
        await finished(child);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
