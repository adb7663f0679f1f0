/**
 * Secrets planted in the environment and the settings file never come back out: not in API
 * answers (doctor among them), not in errors, not in the CLI's doctor, not in the logs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/main/headless/server';
import { createServices, type Services } from '../../src/main/services';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';
import { REPO_ROOT, foreignCwd, tempDataDir } from '../helpers/services';
import { api, raw } from './harness';

const rand = (n = 16): string => randomBytes(n).toString('hex');
const RPC_KEY = rand(32);
const ETHERSCAN_KEY = `Eth${rand(12)}`;
const PG_PASSWORD = `PgPw${rand(8)}`;
const REDIS_PASSWORD = `RedisPw${rand(8)}`;
const GITHUB_TOKEN = `ghp_${rand(18)}`;
const HF_TOKEN = `hf_${rand(18)}`;
const API_KEY = `team-${rand(12)}`;
const ADMIN_KEY = `admin-${rand(12)}`;
const SECRETS = [RPC_KEY, ETHERSCAN_KEY, PG_PASSWORD, REDIS_PASSWORD, GITHUB_TOKEN, HF_TOKEN, API_KEY, ADMIN_KEY];

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

describe('planted secrets stay secret', () => {
  const tmp = tempDataDir('defimon-secrets');
  const cwd = foreignCwd();
  let provider: http.Server;
  let providerUrl = '';
  let services: Services;
  let app: FastifyInstance;
  let env: Record<string, string>;
  let srv: { host: string; port: number };
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${API_KEY}` });

  beforeAll(async () => {
    // A provider that fails every request, so each error path (and the URL it quotes) is taken.
    provider = http.createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    providerUrl = `http://127.0.0.1:${(provider.address() as { port: number }).port}`;
    // In the settings file: the RPC URL (key in the path) and the explorer key and endpoint.
    writeFileSync(path.join(tmp.dir, 'defimon.config.json'), JSON.stringify({ rpcUrl: `${providerUrl}/polygon/${RPC_KEY}`, etherscanApiKey: ETHERSCAN_KEY, etherscanBaseUrl: `${providerUrl}/v2/api` }));
    // In the environment: database URLs with passwords (unreachable), tokens, the server's keys.
    env = {
      DEFIMON_PG_URL: `postgres://team:${PG_PASSWORD}@127.0.0.1:1/team`,
      DEFIMON_REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1`,
      DEFIMON_GITHUB_TOKEN: GITHUB_TOKEN,
      DEFIMON_HF_TOKEN: HF_TOKEN,
      DEFIMON_API_KEYS: API_KEY,
      DEFIMON_ADMIN_KEYS: ADMIN_KEY,
      DEFIMON_AUTO_IMPORT: 'false',
      DEFIMON_AUTO_COLLECT: 'false',
    };
    const config = loadConfig({ overrides: { dataDir: tmp.dir, logLevel: 'debug' }, env });
    services = await createServices(config, { logger: createLogger({ dataDir: tmp.dir, level: 'debug', toStderr: false }) });
    app = await createServer({ services, host: '127.0.0.2', port: 0, webRoot: null });
    await app.listen({ host: '127.0.0.2', port: 0 });
    srv = { host: '127.0.0.2', port: (app.server.address() as { port: number }).port };
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
    await new Promise<void>((r) => provider.close(() => r()));
    tmp.remove();
    cwd.remove();
  });

  it('keeps them out of API answers, doctor and errors included', async () => {
    const answers: string[] = [];
    for (const [method, input] of [
      ['system.doctor', {}],
      ['system.info', {}],
      ['settings.get', {}],
      ['sync.status', {}],
      ['collect.status', {}],
      ['tasks.list', {}],
      ['audit.address', { address: `0x${'ab'.repeat(20)}` }],
      ['assets.get', { assetId: 'NOPE' }],
      ['settings.update', { values: { horizonDays: 0 } }],
    ] as const) {
      for (const headers of [auth(), { authorization: `Bearer ${ADMIN_KEY}` }, {}]) {
        const res = await api(srv, method, input, headers);
        answers.push(`${method} ${res.status} ${JSON.stringify(res.headers)} ${res.body}`);
      }
    }
    answers.push((await raw(srv, { path: '/metrics', headers: auth() })).body, (await raw(srv, { path: '/health' })).body);
    const all = answers.join('\n');
    expect(leaks(all)).toEqual([]);
    // Doctor did check the planted endpoints and says where, without the key.
    const doctor = answers.find((a) => a.startsWith('system.doctor 200')) ?? '';
    expect(doctor).toMatch(/127\.0\.0\.1:\d+\/polygon\/\*\*\*/);
    expect(doctor).toMatch(/postgres:\/\/team:\*\*\*@127\.0\.0\.1:1/);
  });

  it('keeps them out of `defimon doctor` (text and JSON)', async () => {
    const runCli = async (args: string[]): Promise<string> => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'defimon.cjs'), ...args, '--data-dir', tmp.dir], { cwd: cwd.dir, env: { ...process.env, ...env }, timeout: 120_000 });
        return stdout + stderr;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        return `${e.stdout ?? ''}${e.stderr ?? ''}`;
      }
    };
    const text = await runCli(['doctor']);
    const json = await runCli(['doctor', '--json']);
    expect(text).toMatch(/rpc/);
    expect(json).toMatch(/"checks"/);
    expect(leaks(text + json)).toEqual([]);
  });

  it('keeps them out of the logs', async () => {
    await new Promise<void>((resolve) => services.log.flush(() => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    const dir = path.join(tmp.dir, 'logs');
    const text = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
    expect(text.length).toBeGreaterThan(0);
    expect(leaks(text)).toEqual([]);
  });
});
