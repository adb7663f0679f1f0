/**
 * Redis behind the core ports and sync wake-ups, against real Redis servers: the shared one
 * (own key prefix per test) and, for the outage test, a throwaway redis-server of this test's
 * own that is stopped and started again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpClient } from '../../src/main/services/collect/http';
import { createTestDatabase, createRedisPrefix, postgresAvailable, REDIS_URL, redisAvailable } from '../helpers/services';
import { changeLogKeysSql, createSyncClient, marketRows, sqliteContent, waitFor, type SyncClient } from './helpers';

const redisOk = await redisAvailable();
const pgOk = redisOk && (await postgresAvailable());

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server of this test's own, so stopping it disturbs no one else. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await redisAnswers(port);
  return child;
}

/** Waits until the redis-server on `port` answers PING. */
async function redisAnswers(port: number): Promise<void> {
  await waitFor(async () => {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  }, `redis-server on port ${port}`);
}

async function stopRedis(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe.runIf(redisOk)('Redis ports', () => {
  const { prefix, cleanup } = createRedisPrefix('sync_ports');
  let a: SyncClient;
  let b: SyncClient;
  let upstream: Server;
  let upstreamCalls = 0;
  let upstreamUrl = '';

  beforeAll(async () => {
    a = await createSyncClient({ redisUrl: REDIS_URL, redisPrefix: prefix });
    b = await createSyncClient({ redisUrl: REDIS_URL, redisPrefix: prefix });
    upstream = createServer((req, res) => {
      upstreamCalls++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ price: 1.23, path: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    await cleanup();
  });

  it('two clients asking the same request within its TTL make one upstream call', async () => {
    const schema = z.object({ price: z.number(), path: z.string() });
    const httpA = createHttpClient(a.services.core, { name: 'fixture', ratePerSec: 100 });
    const httpB = createHttpClient(b.services.core, { name: 'fixture', ratePerSec: 100 });
    const first = await httpA.request({ url: `${upstreamUrl}/simple/price?ids=matic`, schema, cacheTtlSec: 60 });
    const second = await httpB.request({ url: `${upstreamUrl}/simple/price?ids=matic`, schema, cacheTtlSec: 60 });
    expect(first).toMatchObject({ cached: false, data: { price: 1.23 } });
    expect(second).toMatchObject({ cached: true, data: { price: 1.23, path: '/simple/price?ids=matic' } });
    expect(upstreamCalls).toBe(1);
    // A different request is not served from the cache.
    await httpB.request({ url: `${upstreamUrl}/simple/price?ids=aave`, schema, cacheTtlSec: 60 });
    expect(upstreamCalls).toBe(2);
    // The entry lives in Redis under the team prefix, with its TTL.
    const r = new Redis(REDIS_URL);
    try {
      const keys = await r.keys(`${prefix}cache:*`);
      expect(keys.length).toBe(2);
      const ttl = await r.ttl(keys[0] as string);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    } finally {
      r.disconnect();
    }
  });

  it('shares one token bucket across clients', async () => {
    const opts = { ratePerSec: 0.001, burst: 3 };
    await a.services.core.ports.limiter.acquire('provider-x', opts);
    await a.services.core.ports.limiter.acquire('provider-x', opts);
    await b.services.core.ports.limiter.acquire('provider-x', opts);
    // The bucket is empty for everyone now: b's next token would take ~1000 s.
    const signal = AbortSignal.timeout(300);
    await expect(b.services.core.ports.limiter.acquire('provider-x', { ...opts, signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    // Another bucket is independent.
    await b.services.core.ports.limiter.acquire('provider-y', opts);
  });

  it('grants a lease to one client at a time with increasing fencing tokens', async () => {
    const l1 = await a.services.core.ports.locks.acquire('collect:market:2024-06', 10_000);
    expect(l1).not.toBeNull();
    expect(await b.services.core.ports.locks.acquire('collect:market:2024-06', 10_000)).toBeNull();
    await l1?.release();
    const l2 = await b.services.core.ports.locks.acquire('collect:market:2024-06', 50);
    expect(l2?.token).toBeGreaterThan(l1?.token ?? Infinity);
    // An expired lease is free again, with a newer token; the stale holder's release is a no-op.
    await new Promise((r) => setTimeout(r, 120));
    const l3 = await a.services.core.ports.locks.acquire('collect:market:2024-06', 10_000);
    expect(l3?.token).toBeGreaterThan(l2?.token ?? Infinity);
    await l2?.release();
    expect(await b.services.core.ports.locks.acquire('collect:market:2024-06', 10_000)).toBeNull();
    await l3?.release();
  });
});

describe.runIf(pgOk)('Redis stopped and started while two clients sync', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  let redis: ChildProcess | undefined;
  let port = 0;
  let a: SyncClient;
  let b: SyncClient;

  beforeAll(async () => {
    db = await createTestDatabase('sync_redis_outage');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    port = await freePort();
    redis = await startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    a = await createSyncClient({ pgUrl: db.url, redisUrl, redisPrefix: 'outage:' });
    b = await createSyncClient({ pgUrl: db.url, redisUrl, redisPrefix: 'outage:' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await admin?.end();
    if (redis && redis.exitCode === null && redis.signalCode === null) await stopRedis(redis);
    await db?.drop();
  });

  it('wakes peers over pub/sub, falls back to polling while Redis is away, and loses nothing', async () => {
    // Polling only as a fallback: with Redis up, b learns of a's pushes from pub/sub alone.
    const opts = { pollMs: 600_000, offlinePollMs: 200, minBackoffMs: 50, maxBackoffMs: 500, debounceMs: 20 };
    a.sync.start(opts);
    b.sync.start(opts);
    await waitFor(() => a.sync.worker.status().redis?.connected === true && b.sync.worker.status().redis?.connected === true, 'both clients on Redis');
    await waitFor(() => a.sync.worker.status().state === 'idle' && b.sync.worker.status().state === 'idle', 'first cycles');

    const phase = (name: string, n: number): number => a.services.core.store.write('financial_metrics', marketRows({ assets: [name], days: n }));
    const bCount = (): number => (b.services.core.store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n;

    phase('before', 100);
    await waitFor(() => bCount() === 100, 'b to pull after a pub/sub wake-up');

    await stopRedis(redis as ChildProcess);
    await waitFor(() => a.sync.worker.status().redis?.connected === false, 'a to notice Redis is gone');
    // The ports keep working on their in-process fallbacks instead of failing the caller.
    await a.services.core.ports.cache.set('k', 'v', 60);
    expect(await a.services.core.ports.cache.get('k')).toBe('v');
    phase('during', 150);
    await waitFor(() => bCount() === 250, 'b to pull by polling while Redis is away');

    redis = await startRedis(port);
    await waitFor(() => a.sync.worker.status().redis?.connected === true && b.sync.worker.status().redis?.connected === true, 'both clients back on Redis');
    phase('after', 50);
    await waitFor(() => bCount() === 300, 'b to pull after Redis came back');
    await waitFor(() => a.sync.worker.status().pending === 0, 'a to have nothing pending');

    expect(Number((await admin.query('SELECT count(*) AS n FROM financial_metrics')).rows[0].n)).toBe(300);
    expect(sqliteContent(b.services, 'financial_metrics', 'asset_id, day')).toEqual(sqliteContent(a.services, 'financial_metrics', 'asset_id, day'));
    const dup = await admin.query(`SELECT 1 FROM (${changeLogKeysSql('financial_metrics')}) e GROUP BY asset_id, day HAVING count(*) > 1`);
    expect(dup.rowCount).toBe(0);
  });
});

describe.runIf(redisOk)('Redis over TLS (rediss://)', () => {
  let dir = '';
  let server: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-redis-tls-'));
    // A CA of this test's own and a server certificate for 127.0.0.1 signed by it.
    const sh = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    };
    sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=defimon-test-ca']);
    sh(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
    port = await freePort();
    server = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', path.join(dir, 'server.pem'), '--tls-key-file', path.join(dir, 'server.key'), '--tls-ca-cert-file', path.join(dir, 'ca.pem'), '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(async () => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    }), 'redis-server with TLS');
  });
  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) await stopRedis(server);
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = (url: string): { ready: boolean; viaPort: string | null; direct: string | null } => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'redis-probe.ts'), url], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(out.trim().split('\n').pop() as string) as { ready: boolean; viaPort: string | null; direct: string | null };
  };

  it('speaks TLS when the URL is rediss://, and a plain URL does not get through', () => {
    expect(probe(`rediss://127.0.0.1:${port}`)).toEqual({ ready: true, viaPort: 'through-tls', direct: 'through-tls' });
    // Plain text to a TLS port never becomes ready; the cache still answers from its fallback.
    expect(probe(`redis://127.0.0.1:${port}`)).toEqual({ ready: false, viaPort: 'through-tls', direct: null });
  });
});

describe.runIf(redisOk)('Redis Cluster URL', () => {
  let dir = '';
  const nodes: ChildProcess[] = [];
  const ports: number[] = [];
  let a: SyncClient;
  let b: SyncClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-redis-cluster-'));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      nodes.push(
        spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
      );
    }
    for (const port of ports) await redisAnswers(port);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
    await waitFor(() => execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok'), 'the cluster to be ok', 90_000);
    const redisUrl = `redis-cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`;
    a = await createSyncClient({ redisUrl, redisPrefix: 'cluster-test:' });
    b = await createSyncClient({ redisUrl, redisPrefix: 'cluster-test:' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const n of nodes) if (n.exitCode === null && n.signalCode === null) await stopRedis(n);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares the cache, buckets and leases across clients through a cluster', async () => {
    await waitFor(() => a.sync.worker.status().redis?.connected === true && b.sync.worker.status().redis?.connected === true, 'both clients on the cluster');
    // Enough keys to land on every node's slots.
    for (let i = 0; i < 20; i++) await a.services.core.ports.cache.set(`key-${i}`, `value-${i}`, 60);
    for (let i = 0; i < 20; i++) expect(await b.services.core.ports.cache.get(`key-${i}`)).toBe(`value-${i}`);
    expect(b.sync.worker.status().redis?.connected).toBe(true);
    const lease = await a.services.core.ports.locks.acquire('collect:tvl', 10_000);
    expect(lease?.token).toBeGreaterThan(0);
    expect(await b.services.core.ports.locks.acquire('collect:tvl', 10_000)).toBeNull();
    await lease?.release();
    expect(await b.services.core.ports.locks.acquire('collect:tvl', 10_000)).not.toBeNull();
    const opts = { ratePerSec: 0.001, burst: 1 };
    await a.services.core.ports.limiter.acquire('cluster-bucket', opts);
    await expect(b.services.core.ports.limiter.acquire('cluster-bucket', { ...opts, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
