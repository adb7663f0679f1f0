import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsView } from '../../src/shared/contract/settings';
import { configFields, configFromEnv, loadConfig } from '../../src/main/services/config/config';
import { SECRET_ENV_VARS, migrateSettingsDocument, SETTINGS_MIGRATIONS } from '../../src/main/services/settings/document';
import { createJsonFileBackend, createSettingsService, type SecretVault } from '../../src/main/services/settings/service';
import { SETTINGS_APP_VERSION } from '../../src/main/services/settings';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';
import { memoryVault } from '../helpers/vault';

const RPC = 'https://polygon-mainnet.quiknode.pro/0123456789abcdef0123456789abcdef/';
const PG = 'postgres://analyst:hunter2-very-secret@db.team.example:5432/defimon';
const ETHERSCAN = 'ETHERSCANKEY0123456789ABCDEFGHIJ';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function setup(opts: { vault?: SecretVault | null; env?: NodeJS.ProcessEnv } = {}) {
  const tmp = tempDataDir('settings');
  dirs.push(tmp);
  const file = path.join(tmp.dir, 'defimon.config.json');
  const service = createSettingsService({ backend: createJsonFileBackend(file), vault: opts.vault === undefined ? memoryVault() : opts.vault, env: opts.env ?? {}, appVersion: SETTINGS_APP_VERSION });
  return { service, file, dir: tmp.dir };
}

describe('settings service', () => {
  it('stores secrets encrypted, never in clear, and never returns them', () => {
    const { service, file } = setup();
    const { view, changed } = service.update({ secrets: { rpcUrl: RPC, pgUrl: PG, etherscanApiKey: ETHERSCAN }, values: { horizonDays: 14 } });
    expect(changed.sort()).toEqual(['etherscanApiKey', 'horizonDays', 'pgUrl', 'rpcUrl']);
    const onDisk = readFileSync(file, 'utf8');
    for (const secret of [RPC, PG, ETHERSCAN, 'hunter2-very-secret', '0123456789abcdef0123456789abcdef']) expect(onDisk).not.toContain(secret);
    expect(JSON.parse(onDisk).horizonDays).toBe(14);
    const returned = JSON.stringify(view);
    for (const secret of [RPC, PG, ETHERSCAN, 'hunter2']) expect(returned).not.toContain(secret);
    expect(view.secrets.rpcUrl).toEqual({ set: true, source: 'keychain', host: 'polygon-mainnet.quiknode.pro', envVar: 'DEFIMON_RPC_URL' });
    expect(view.secrets.githubToken.set).toBe(false);
    expect(SettingsView.omit({ access: true }).safeParse(view).success).toBe(true);
    // The main process can still read them back for the configuration.
    expect(service.secretsForConfig().secrets).toEqual({ rpcUrl: RPC, pgUrl: PG, etherscanApiKey: ETHERSCAN });
  });

  it('without a vault (web/CLI) refuses to store a secret and writes nothing', () => {
    const { service, file } = setup({ vault: null });
    expect(() => service.update({ values: { horizonDays: 7 }, secrets: { githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } })).toThrow(/environment variables/);
    expect(() => readFileSync(file)).toThrow();
    // Non-secret values are still writable and the headless config loader reads them.
    service.update({ values: { horizonDays: 7 } });
    expect(loadConfig({ overrides: { dataDir: path.dirname(file) }, env: {} }).horizonDays).toBe(7);
    expect(service.view().secretStorage).toMatchObject({ writable: false, backend: 'none' });
  });

  it('rejects a malformed secret without echoing it and leaves the file unchanged', () => {
    const { service, file } = setup();
    service.update({ values: { chainId: 80002 } });
    const before = readFileSync(file, 'utf8');
    let message = '';
    try {
      service.update({ values: { horizonDays: 3 }, secrets: { pgUrl: 'mysql://u:s3cr3t-value@h/db' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/pgUrl: expected a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).not.toContain('s3cr3t-value');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('reports env-provided secrets and overrides, and prefers env over the stored secret', () => {
    const env = { DEFIMON_RPC_URL: 'https://rpc.env.example/key123', DEFIMON_HORIZON_DAYS: '60' };
    const { service } = setup({ env });
    service.update({ secrets: { rpcUrl: RPC, githubToken: 'ghp_stored0123456789abcdefghij' } });
    const view = service.view();
    expect(view.secrets.rpcUrl).toMatchObject({ set: true, source: 'env', host: 'rpc.env.example' });
    expect(view.envOverrides).toEqual(['horizonDays']);
    expect(service.secretsForConfig().secrets).toEqual({ githubToken: 'ghp_stored0123456789abcdefghij' });
  });

  it('every secret env var is one the configuration loader honours', () => {
    for (const [key, envVar] of Object.entries(SECRET_ENV_VARS)) {
      expect(configFromEnv({ [envVar]: 'https://x.example/' })).toHaveProperty(key, 'https://x.example/');
    }
  });

  it('encrypts clear-text secrets written by hand and removes the clear copy', () => {
    const { service, file } = setup();
    writeFileSync(file, JSON.stringify({ horizonDays: 21, pgUrl: PG, hfToken: 'hf_abcdefghijklmnopqrstuvwxyz' }));
    expect(service.view().secrets.pgUrl.source).toBe('file');
    expect(service.encryptClearSecrets().sort()).toEqual(['hfToken', 'pgUrl']);
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).not.toContain('hunter2');
    expect(onDisk).not.toContain('hf_abcdefghijklmnopqrstuvwxyz');
    expect(JSON.parse(onDisk).horizonDays).toBe(21);
    expect(service.view().secrets.pgUrl.source).toBe('keychain');
    expect(service.secretsForConfig().secrets.pgUrl).toBe(PG);
  });

  it('clears a secret, resets a value with null, and tracks what needs a restart', () => {
    const { service, file } = setup();
    service.update({ secrets: { redisUrl: 'redis://:pw@cache.example:6379' }, values: { horizonDays: 10, updates: { enabled: true, feedUrl: 'https://updates.example/defimon' } } });
    const cleared = service.clearSecret('redisUrl');
    expect(cleared.changed).toEqual(['redisUrl']);
    expect(cleared.view.secrets.redisUrl.set).toBe(false);
    const reset = service.update({ values: { horizonDays: null } });
    expect(reset.view.values.horizonDays).toBe(30);
    expect(JSON.parse(readFileSync(file, 'utf8'))).not.toHaveProperty('horizonDays');
    // Update settings are applied live by the shell; the rest wait for a restart.
    expect(reset.view.pendingRestart).toEqual(['horizonDays', 'redisUrl']);
    expect(service.update({ values: { chainId: 137 } }).changed).toEqual(['chainId']);
    expect(service.update({ values: { chainId: 137 } }).changed).toEqual([]);
  });

  it('changes collector tunables one at a time, refuses an out-of-bounds one by its key without writing, and describes each from the schema', () => {
    const { service, file, dir } = setup({ env: { DEFIMON_RPC_RATE: '7' } });
    service.update({ values: { collect: { chain: { maxRange: 5000 } } } });
    service.update({ values: { collect: { rates: { defillama: 0.5 }, concurrency: 4 } } });
    expect(JSON.parse(readFileSync(file, 'utf8')).collect).toEqual({ chain: { maxRange: 5000 }, rates: { defillama: 0.5 }, concurrency: 4 });
    expect(loadConfig({ overrides: { dataDir: dir }, env: {} }).collect).toMatchObject({ chain: { maxRange: 5000, batchSize: 100 }, rates: { defillama: 0.5, rpc: 25 }, concurrency: 4 });
    // null goes back to the default; an emptied part disappears.
    service.update({ values: { collect: { chain: { maxRange: null } } } });
    expect(JSON.parse(readFileSync(file, 'utf8')).collect).toEqual({ rates: { defillama: 0.5 }, concurrency: 4 });

    const before = readFileSync(file, 'utf8');
    for (const bad of [{ chain: { batchSize: 1001 } }, { rates: { rpc: 0 } }, { offlineProbeSec: 1 }, { chain: { maxRange: 'lots' } }, { chain: { unknownKnob: 1 } }]) {
      const err = ((): { code?: string; details?: { issues?: { path: string }[] } } | null => {
        try {
          service.update({ values: { collect: bad } });
          return null;
        } catch (e) {
          return e as { code?: string };
        }
      })();
      expect(err?.code, JSON.stringify(bad)).toBe('INVALID_INPUT');
      expect(err?.details?.issues?.[0]?.path).toMatch(/^collect\./);
      expect(readFileSync(file, 'utf8')).toBe(before);
    }

    const fields = service.view().fields;
    expect(fields.map((f) => f.key)).toEqual(configFields('collect').map((f) => f.key));
    const batch = fields.find((f) => f.key === 'collect.chain.batchSize');
    expect(batch).toMatchObject({ type: 'int', min: 1, max: 1000, default: 100, stored: null, envVar: 'DEFIMON_RPC_BATCH_SIZE', envOverridden: false });
    expect(fields.find((f) => f.key === 'collect.rates.rpc')).toMatchObject({ type: 'number', min: 0, minInclusive: false, envOverridden: true });
    expect(fields.find((f) => f.key === 'collect.rates.defillama')?.stored).toBe(0.5);
    expect(fields.find((f) => f.key === 'collect.rates.coingecko')?.default).toBeNull();
  });

  it('reports a secret this keychain cannot decrypt instead of failing', () => {
    const { service, file } = setup();
    service.update({ secrets: { etherscanApiKey: ETHERSCAN } });
    const other = createSettingsService({ backend: createJsonFileBackend(file), vault: memoryVault(), env: {}, appVersion: SETTINGS_APP_VERSION });
    expect(other.secretsForConfig()).toEqual({ secrets: {}, unreadable: ['etherscanApiKey'] });
  });

  it('migrates the document once and records the version where electron-store does', () => {
    const first = migrateSettingsDocument({ horizonDays: 5 }, SETTINGS_APP_VERSION);
    expect(first.applied).toEqual(SETTINGS_MIGRATIONS.map((m) => m.version));
    expect(first.doc).toMatchObject({ horizonDays: 5, updates: { enabled: false }, __internal__: { migrations: { version: '0.1.0' } } });
    expect(migrateSettingsDocument(first.doc, SETTINGS_APP_VERSION).applied).toEqual([]);
    // An explicit choice survives the migration.
    expect(migrateSettingsDocument({ updates: { enabled: true, feedUrl: 'https://u.example' } }, SETTINGS_APP_VERSION).doc.updates).toEqual({ enabled: true, feedUrl: 'https://u.example' });
  });

  it('keeps the settings app version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(SETTINGS_APP_VERSION).toBe(pkg.version);
  });
});

describe('settings over the contract (headless)', () => {
  it('settings.get answers placeholders; settings.update of a secret is refused with NOT_CONFIGURED', async () => {
    const t = await createTestServices({ autoImport: false });
    try {
      const seen: unknown[] = [];
      const off = t.services.core.bus.on('settings.changed', (p) => seen.push(p));
      const got = await t.services.call('settings.get', {}, { origin: 'http' });
      expect(got.ok).toBe(true);
      // Over HTTP a secret is refused before anything else (test/security/settings.test.ts); an
      // admin caller meets the missing vault.
      const refused = await t.services.call('settings.update', { secrets: { etherscanApiKey: ETHERSCAN } }, { origin: 'http' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(JSON.stringify(refused)).not.toContain(ETHERSCAN);
      const noVault = await t.services.call('settings.update', { secrets: { etherscanApiKey: ETHERSCAN } }, { origin: 'http', admin: true });
      expect(noVault).toMatchObject({ ok: false, error: { code: 'NOT_CONFIGURED' } });
      expect(JSON.stringify(refused)).not.toContain(ETHERSCAN);
      const bad = await t.services.call('settings.update', { values: { horizonDays: 0 } }, { origin: 'http' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await t.services.call('settings.restart', {}, { origin: 'http' })).toMatchObject({ ok: false, error: { code: 'NOT_CONFIGURED' } });
      // Endpoints that receive API keys cannot be repointed by a remote caller.
      const repoint = await t.services.call('settings.update', { values: { horizonDays: 9, githubBaseUrl: 'https://collector.evil.example' } }, { origin: 'http' });
      expect(repoint).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect((await t.services.client.call('settings.get', {})).values.horizonDays).toBe(30);
      const updated = await t.services.client.call('settings.update', { values: { horizonDays: 45 } });
      expect(updated.values.horizonDays).toBe(45);
      expect(seen).toEqual([{ keys: ['horizonDays'], restartRequired: true }]);
      expect((await t.services.call('settings.update', { values: { githubBaseUrl: 'https://ghe.team.example/api/v3' } }, { origin: 'cli' })).ok).toBe(true);
      off();
    } finally {
      await t.cleanup();
    }
  });
});
