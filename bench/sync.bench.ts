/**
 * Team sync throughput against the local Postgres (a fresh database per run, dropped after):
 * push of metric rows from the SQLite outbox, pull of the same rows into a fresh client, each
 * beside its anchor in the same run (COPY of the same rows into a scratch table; for the pull,
 * COPY of the table out, and COPY out plus the raw load of those rows into a fresh SQLite file
 * of the same schema, since a pull also writes them locally), and a full initial sync of the
 * bundled dataset (first client pushes it, a new client pulls it, a client holding the same
 * import pulls none of it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createServices, type Services } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { createLogger } from '../src/main/services/log/logger';
import type { Row } from '../src/main/services/storage/sqlite';
import { getSyncDomain } from '../src/main/services/sync';
import { openSqlite } from '../src/main/services/storage/sqlite';
import { alternate, machineLine, median, ms, ratioLine } from './util';

const ADMIN_URL = process.env.DEFIMON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const METRIC_ROWS = 200_000;

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `defimon_bench_sync_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}

async function client(pgUrl: string, autoImport: boolean): Promise<{ services: Services; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-sync-'));
  const config = loadConfig({ overrides: { dataDir: dir, logLevel: 'silent', autoImport, pgUrl }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
  return {
    services,
    close: async () => {
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function metricRows(n: number): Row[] {
  const rows: Row[] = [];
  const start = Date.parse('2015-01-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const asset = `asset${i % 200}`;
    const day = new Date(start + Math.floor(i / 200) * 86_400_000).toISOString().slice(0, 10);
    rows.push({ asset_id: asset, day, source: 'bench', close: 1 + (i % 997) / 10, close_source: 'bench', volume_usd: i * 13.5, volume_source: 'bench', market_cap: i * 1000.25, market_cap_source: 'bench', circulating_supply: 1e9, updated_at: '2024-06-30T00:00:00.000Z' });
  }
  return rows;
}

const rate = (rows: number, ms: number): string => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

/** The push anchor: the same rows COPYed (text format) into a scratch table shaped like the team table. */
async function copyIn(url: string, rows: Row[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('DROP TABLE IF EXISTS bench_copy_scratch');
    await c.query('CREATE TABLE bench_copy_scratch (LIKE financial_metrics INCLUDING ALL)');
    const cols = Object.keys(rows[0]!);
    const t0 = performance.now();
    const text = rows.map((r) => cols.map((k) => (r[k] === null || r[k] === undefined ? '\\N' : String(r[k]))).join('\t')).join('\n') + '\n';
    const stream = c.query(copyFrom(`COPY bench_copy_scratch (${cols.join(', ')}) FROM STDIN`));
    await pipeline(async function* () {
      yield text;
    }, stream);
    const ms = performance.now() - t0;
    await c.query('DROP TABLE bench_copy_scratch');
    return ms;
  } finally {
    await c.end();
  }
}

/** The pull anchor: the table COPYed out of Postgres (text format), every byte read (and kept when `keep`). */
async function copyOut(url: string, columns: readonly string[], keep = false): Promise<{ ms: number; rows: number; chunks: Buffer[] }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    let lines = 0;
    const chunks: Buffer[] = [];
    const t0 = performance.now();
    await pipeline(
      c.query(copyTo(`COPY financial_metrics (${columns.join(', ')}) TO STDOUT`)),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
          if (keep) chunks.push(chunk);
          cb();
        },
      }),
    );
    return { ms: performance.now() - t0, rows: lines, chunks };
  } finally {
    await c.end();
  }
}

/** A field of COPY's text format: `\N` is null, backslash escapes decoded. */
function copyField(f: string): string | null {
  if (f === '\\N') return null;
  if (!f.includes('\\')) return f;
  return f.replace(/\\(.)/g, (_, ch: string) => ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' })[ch] ?? ch);
}

/**
 * The pull anchor with the local write: COPY of the table out (every byte read), then its text
 * split into fields (numbers as numbers) straight into one reused array and each row INSERTed
 * into `financial_metrics` of a fresh SQLite file opened as the app opens its own (WAL, migrated
 * schema: primary key and day index) with one prepared positional statement, in one transaction,
 * without validation.
 */
async function copyOutAndLoad(url: string, dir: string, round: number): Promise<{ copyMs: number; loadMs: number; rows: number }> {
  const store = openSqlite({ file: path.join(dir, `anchor-${round}.sqlite`) });
  try {
    const decl = store.db.prepare<[], { name: string; type: string }>("SELECT name, type FROM pragma_table_info('financial_metrics')").all();
    const columns = decl.map((d) => d.name);
    const numeric = decl.map((d) => /DOUB|REAL|FLOA|NUMERIC|INT/i.test(d.type));
    const t0 = performance.now();
    const out = await copyOut(url, columns, true);
    const t1 = performance.now();
    const stmt = store.db.prepare(`INSERT INTO financial_metrics (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    let rows = 0;
    store.db.transaction(() => {
      const text = Buffer.concat(out.chunks).toString('utf8');
      const values = new Array<unknown>(columns.length);
      const last = columns.length - 1;
      // Tabs and line breaks inside a value arrive escaped: a raw one always ends a field.
      for (let at = 0; at < text.length; ) {
        for (let i = 0; i <= last; i++) {
          let end = text.indexOf(i === last ? '\n' : '\t', at);
          if (end < 0) end = text.length;
          const v = copyField(text.slice(at, end));
          values[i] = v !== null && numeric[i] ? Number(v) : v;
          at = end + 1;
        }
        rows += stmt.run(values).changes;
      }
    })();
    return { copyMs: t1 - t0, loadMs: performance.now() - t1, rows };
  } finally {
    store.close();
  }
}

export async function run(): Promise<void> {
  // Throughput here depends on what else the machine is doing; print the load with the figures.
  console.log(machineLine());
  await withDatabase(async (url) => {
    const a = await client(url, false);
    const b = await client(url, false);
    try {
      const rows = metricRows(METRIC_ROWS);
      // Pushes alternate with the anchor: the first into this database (the pulls below read it),
      // the others from fresh clients into fresh databases, so each push meets an empty table.
      let t0 = performance.now();
      let pushRound = 0;
      const pushCycles: number[] = [];
      let pushedRows = 0;
      const pushOnce = async (pusher: Awaited<ReturnType<typeof client>>): Promise<number> => {
        pusher.services.core.store.write('financial_metrics', rows);
        t0 = performance.now();
        const pushed = await getSyncDomain(pusher.services.core).worker.syncOnce();
        pushCycles.push(performance.now() - t0);
        if (pushed.pulled !== 0) throw new Error(`sync bench: a push into an empty database pulled ${pushed.pulled} rows back`);
        pushedRows = pushed.pushed;
        return pushed.pushMs;
      };
      // The team schema first (the anchor's scratch table copies the team table's shape).
      await getSyncDomain(a.services.core).worker.syncOnce();
      const pushes = await alternate(
        3,
        async () => {
          if (pushRound++ === 0) return pushOnce(a);
          return withDatabase(async (freshUrl) => {
            const pusher = await client(freshUrl, false);
            try {
              return await pushOnce(pusher);
            } finally {
              await pusher.close();
            }
          });
        },
        () => copyIn(url, rows),
      );
      console.log(`push: ${pushedRows} metric rows from the SQLite outbox into Postgres in ${pushes.ours.map(ms).join(', ')} (${rate(pushedRows, median(pushes.ours))}); whole cycle ${pushCycles.map(ms).join(', ')}, 0 rows pulled back`);
      console.log(`COPY of the same ${rows.length} rows into a scratch table (anchor): ${pushes.anchor.map(ms).join(', ')} (${rate(rows.length, median(pushes.anchor))})`);
      ratioLine('sync push vs COPY in', pushes.ours, pushes.anchor, 'COPY in', 1.5);
      // Pulls into fresh clients alternate with the anchor (COPY out, then the raw SQLite load).
      let round = 0;
      let pulledRows = 0;
      const cycles: number[] = [];
      const copyMs: number[] = [];
      const loadMs: number[] = [];
      let anchorRows = 0;
      const anchorDir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-sync-anchor-'));
      const times = await alternate(
        3,
        async () => {
          const fresh = round === 0 ? b : await client(url, false);
          try {
            t0 = performance.now();
            const pulled = await getSyncDomain(fresh.services.core).worker.syncOnce();
            cycles.push(performance.now() - t0);
            pulledRows = pulled.pulled;
            return pulled.pullMs;
          } finally {
            if (fresh !== b) await fresh.close();
            round++;
          }
        },
        async () => {
          const r = await copyOutAndLoad(url, anchorDir, round);
          copyMs.push(r.copyMs);
          loadMs.push(r.loadMs);
          anchorRows = r.rows;
          return r.copyMs + r.loadMs;
        },
      ).finally(() => rmSync(anchorDir, { recursive: true, force: true }));
      console.log(`pull: ${pulledRows} metric rows from Postgres into a fresh client in ${times.ours.map(ms).join(', ')} (${rate(pulledRows, median(times.ours))}); whole cycle ${cycles.map(ms).join(', ')}`);
      console.log(`COPY of the table out of Postgres (anchor): ${anchorRows} rows in ${copyMs.map(ms).join(', ')} (${rate(anchorRows, median(copyMs))})`);
      console.log(`raw load of those rows into a fresh SQLite file (COPY text split into one reused array, one prepared INSERT per row, one transaction, no validation): ${loadMs.map(ms).join(', ')}`);
      const floor = median(loadMs) / median(copyMs);
      console.log(`floor: writing the rows into SQLite alone takes ${floor.toFixed(1)}x the COPY out, so a pull (which must write them) cannot come within 1.5x of COPY out alone; the COPY out + raw load anchor is the one a pull can meet`);
      ratioLine('sync pull vs COPY out', times.ours, copyMs, 'COPY out', 1.5);
      ratioLine('sync pull vs COPY out + raw SQLite load', times.ours, times.anchor, 'COPY out + raw load', 1.5);
    } finally {
      await a.close();
      await b.close();
    }
  });

  await withDatabase(async (url) => {
    const a = await client(url, true);
    const b = await client(url, false);
    const c = await client(url, true);
    try {
      let t0 = performance.now();
      const first = await getSyncDomain(a.services.core).worker.syncOnce();
      const pushMs = performance.now() - t0;
      console.log(`initial sync of the bundled dataset, first client: pushed ${first.pushed} rows in ${first.pushMs} ms (${rate(first.pushed, first.pushMs)}); whole cycle ${pushMs.toFixed(0)} ms, ${first.pulled} rows pulled back`);
      t0 = performance.now();
      const fresh = await getSyncDomain(b.services.core).worker.syncOnce();
      const pullMs = performance.now() - t0;
      console.log(`initial sync of the bundled dataset, new empty client: pulled ${fresh.pulled} rows in ${pullMs.toFixed(0)} ms (${rate(fresh.pulled, pullMs)})`);
      t0 = performance.now();
      const same = await getSyncDomain(c.services.core).worker.syncOnce();
      console.log(`initial sync, new client that imported the same bundle: pushed ${same.pushed}, pulled ${same.pulled} rows in ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });
}
