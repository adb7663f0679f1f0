import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/shared/client';
import { contract, methodNames } from '../../src/shared/contract';
import { AppError, deserializeError, serializeError } from '../../src/shared/errors';
import { Address, Day } from '../../src/shared/schemas';
import { configFromEnv, loadConfig, redactUrl } from '../../src/main/services/config/config';
import { createLogger, scrubSecrets } from '../../src/main/services/log/logger';
import { tempDataDir } from '../helpers/services';

describe('contract', () => {
  it('names every method domain.action and gives each an input and output schema', () => {
    expect(methodNames.length).toBeGreaterThan(5);
    for (const name of methodNames) {
      expect(name).toMatch(/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/);
      expect(typeof contract[name].input.safeParse).toBe('function');
      expect(typeof contract[name].output.safeParse).toBe('function');
    }
  });

  it('validates domain values at the boundary', () => {
    expect(Address.parse('0xD6DF932A45C0F255F85145F286EA0B292B21C90B')).toBe('0xd6df932a45c0f255f85145f286ea0b292b21c90b');
    expect(Address.safeParse('0x123').success).toBe(false);
    expect(Day.safeParse('2024-02-30').success).toBe(false);
    expect(Day.safeParse('2024-02-29').success).toBe(true);
  });

  it('serialises errors to a plain shape and back, keeping the code', () => {
    const err = new AppError('RATE_LIMITED', 'slow down', { retryable: true, details: { retryAfterMs: 500 } });
    const plain = JSON.parse(JSON.stringify(serializeError(err)));
    expect(plain).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryable: true, details: { retryAfterMs: 500 } });
    const back = deserializeError(plain);
    expect(back.code).toBe('RATE_LIMITED');
    expect(back.retryable).toBe(true);
    expect(serializeError(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom', retryable: false });
    expect(deserializeError({ nonsense: true }).code).toBe('INTERNAL');
  });

  it('client rejects bad input before sending and bad output after receiving', async () => {
    let sent = 0;
    const client = createClient({
      invoke: async () => {
        sent++;
        return { ok: true, data: [{ day: 'not-a-day', close: 1, volume: null, marketCap: null }] };
      },
    });
    await expect(client.call('assets.prices', { assetId: 'aave lower' } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/assetId/) });
    expect(sent).toBe(0);
    await expect(client.call('assets.prices', { assetId: 'AAVE' })).rejects.toMatchObject({ code: 'INVALID_OUTPUT', message: expect.stringMatching(/day/) });
    expect(sent).toBe(1);
    const failing = createClient({ invoke: async () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'no asset', retryable: false } }) });
    await expect(failing.call('assets.get', { assetId: 'X' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('configuration and logs', () => {
  it('merges file < env < flags and validates', () => {
    const tmp = tempDataDir();
    try {
      writeFileSync(`${tmp.dir}/defimon.config.json`, JSON.stringify({ horizonDays: 14, server: { port: 9000 } }));
      const cfg = loadConfig({ env: { DEFIMON_DATA_DIR: tmp.dir, DEFIMON_PORT: '9100' }, overrides: { horizonDays: 21 } });
      expect(cfg.dataDir).toBe(tmp.dir);
      expect(cfg.horizonDays).toBe(21);
      expect(cfg.server.port).toBe(9100);
      expect(() => loadConfig({ env: { DEFIMON_DATA_DIR: tmp.dir, DEFIMON_HORIZON_DAYS: 'soon' } })).toThrow(/DEFIMON_HORIZON_DAYS must be a number/);
      expect(() => loadConfig({ env: { DEFIMON_DATA_DIR: tmp.dir }, overrides: { horizonDays: 0 } })).toThrow(/horizonDays/);
      expect(configFromEnv({ DEFIMON_API_KEYS: 'a, b' })).toEqual({ server: { apiKeys: ['a', 'b'] } });
    } finally {
      tmp.remove();
    }
  });

  it('never writes a secret to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = createLogger({ dataDir: '/nonexistent', level: 'info', toStderr: false, destination: sink });
    log.info({ pgUrl: 'postgres://u:pw1@h/db', nested: { githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz123456' }, url: 'https://x/api?apikey=ETHERSCANKEY123&module=contract' }, 'connecting to redis://:redispw@host:6379');
    const text = lines.join('');
    for (const secret of ['pw1', 'ghp_abcdef', 'ETHERSCANKEY123', 'redispw']) expect(text).not.toContain(secret);
    expect(text).toContain('module=contract');
    expect(scrubSecrets('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
    expect(scrubSecrets('server response 401 (info={ "requestUrl": "https://polygon-mainnet.g.alchemy.com/v2/abcDEF123ghiJKL456mnoPQR789stuVW" })')).toBe('server response 401 (info={ "requestUrl": "https://polygon-mainnet.g.alchemy.com/v2/***" })');
    expect(scrubSecrets('wss://u:pw@x.matic.quiknode.pro/feedface0123456789abcdef0123456789abcdef/ refused; see https://api.github.com/repos/a/b')).toBe('wss://u:***@x.matic.quiknode.pro/***/ refused; see https://api.github.com/repos/a/b');
    expect(redactUrl('postgres://analyst:pw@db:5432/team?sslmode=require')).toBe('postgres://analyst:***@db:5432/team?sslmode=require');
  });
});
