/**
 * HTTP API throughput and latency of the two read models the UI leans on (ui.overview and
 * ui.series) at 10 and 50 concurrent keep-alive connections, on the bundled dataset, against a
 * server on 127.0.0.1 (the client runs in the same process, so figures are a floor).
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from '../src/main/headless/server';
import { createServices, findBundledDataset } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { importDataset } from '../src/main/services/importer/importer';
import { createLogger } from '../src/main/services/log/logger';
import { machineLine, ms } from './util';

const SECONDS = 4;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function load(port: number, method: string, input: unknown, connections: number): Promise<{ rps: number; p50: number; p99: number; errors: number; n: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const body = JSON.stringify(input);
  const lat: number[] = [];
  let errors = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/api/${method}`, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) lat.push(performance.now() - t0);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const wall = performance.now() - t0;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / (wall / 1000), p50: pct(lat, 50), p99: pct(lat, 99), errors, n: lat.length };
}

export async function run(): Promise<void> {
  console.log(machineLine());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-api-'));
  const config = loadConfig({ overrides: { dataDir: dir, logLevel: 'silent', autoImport: false, server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 100_000_000 } }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
  const app = await createServer({ services, host: '127.0.0.1', port: 0, webRoot: null });
  try {
    const dataset = findBundledDataset(__dirname);
    if (!dataset) throw new Error('resources/dataset is missing');
    importDataset({ store: services.core.store, dir: dataset, source: 'bundled' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const calls: [string, unknown][] = [
      ['ui.overview', {}],
      ['ui.series', { assetId: 'AAVE', family: 'market' }],
    ];
    for (const [method, input] of calls) {
      await load(port, method, input, 2); // warm-up
      for (const connections of [10, 50]) {
        const r = await load(port, method, input, connections);
        console.log(`API ${method} at ${connections} connections: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)} (${r.n} answers in ${SECONDS} s, ${r.errors} errors); load ${os.loadavg()[0]!.toFixed(1)}`);
      }
    }
  } finally {
    await app.close();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
