/**
 * Desktop settings through the real electron-store (with the Electron stand-in's safeStorage):
 * secrets never reach the file in clear, the renderer-facing method never returns one, the
 * headless runner reads the same file, and a keychain that only obfuscates is refused.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDesktopSettings, createElectronStoreBackend, createSafeStorageVault } from '../../src/main/app/settings-store';
import { loadConfig } from '../../src/main/services/config/config';
import { createEventBus } from '../../src/main/services/events/bus';
import { createSettingsDomain } from '../../src/main/services/settings';
import { createSettingsService } from '../../src/main/services/settings/service';
import { tempDataDir } from '../helpers/services';
import { electron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

const SECRETS = {
  rpcUrl: 'https://polygon-mainnet.quiknode.pro/feedfacefeedfacefeedfacefeedface/',
  rpcWsUrl: 'wss://polygon-mainnet.quiknode.pro/feedfacefeedfacefeedfacefeedface/',
  etherscanApiKey: 'ETHERSCAN0123456789SECRETKEYVALUE',
  githubToken: 'ghp_0123456789abcdefghijSECRETtoken',
  hfToken: 'hf_0123456789abcdefghijSECRETtoken',
  pgUrl: 'postgres://team:pg-password-secret@10.0.0.5:5432/defimon',
  redisUrl: 'rediss://:redis-password-secret@cache.team.example:6380',
};
const FRAGMENTS = ['feedfacefeedface', 'SECRETKEYVALUE', 'SECRETtoken', 'pg-password-secret', 'redis-password-secret'];

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
  electron.safeStorage.available = true;
  electron.safeStorage.backend = 'gnome_libsecret';
});
function dataDir(): string {
  const t = tempDataDir('store');
  dirs.push(t);
  return t.dir;
}

describe('desktop settings (electron-store + safeStorage)', () => {
  it('writes no secret in clear, returns none to the renderer, and shares values with the headless runner', async () => {
    const dir = dataDir();
    const settings = createDesktopSettings(dir, '0.1.0');
    const domain = createSettingsDomain({ config: loadConfig({ overrides: { dataDir: dir }, env: {} }), log: { info: () => undefined } as never, bus: createEventBus() }, { service: settings });
    const view = await domain.handlers['settings.update']({ secrets: SECRETS, values: { horizonDays: 90, coingeckoBaseUrl: 'https://pro-api.coingecko.com/api/v3' } }, { origin: 'ipc' });
    const file = path.join(dir, 'defimon.config.json');
    const onDisk = readFileSync(file, 'utf8');
    for (const f of FRAGMENTS) expect(onDisk).not.toContain(f);
    const rendererSees = JSON.stringify([view, await domain.handlers['settings.get']({}, { origin: 'ipc' })]);
    for (const f of FRAGMENTS) expect(rendererSees).not.toContain(f);
    expect(view.secrets.pgUrl).toEqual({ set: true, source: 'keychain', host: '10.0.0.5', envVar: 'DEFIMON_PG_URL' });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o077).toBe(0);

    // The same file, read by the CLI/server: values apply, encrypted secrets are not read as config.
    const headless = loadConfig({ overrides: { dataDir: dir }, env: {} });
    expect(headless.horizonDays).toBe(90);
    expect(headless.coingeckoBaseUrl).toBe('https://pro-api.coingecko.com/api/v3');
    expect(headless.pgUrl).toBeUndefined();
    // ...and the headless settings service reports them stored but cannot decrypt or overwrite them.
    const { createJsonFileBackend } = await import('../../src/main/services/settings/service');
    const cli = createSettingsService({ backend: createJsonFileBackend(file), vault: null, env: {}, appVersion: '0.1.0' });
    expect(cli.view().secrets.rpcUrl).toMatchObject({ set: true, source: 'keychain', host: null });
    expect(cli.secretsForConfig().secrets).toEqual({});

    // The desktop main process decrypts them for the services' configuration.
    expect(createDesktopSettings(dir, '0.1.0').secretsForConfig().secrets).toEqual(SECRETS);
  });

  it('runs the document migrations through electron-store and validates with its schema', () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'defimon.config.json'), JSON.stringify({ horizonDays: 12, server: { port: 9000 } }));
    const backend = createElectronStoreBackend(dir);
    const doc = backend.read();
    expect(doc).toMatchObject({ horizonDays: 12, server: { port: 9000 }, updates: { enabled: false }, __internal__: { migrations: { version: '0.1.0' } } });
    expect(() => backend.write({ ...doc, horizonDays: 'soon' })).toThrow(/schema/i);
    expect(JSON.parse(readFileSync(backend.path, 'utf8')).horizonDays).toBe(12);
  });

  it('names the file and the key when a hand-edited settings file fails the schema', () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'defimon.config.json'), JSON.stringify({ horizonDays: 'monthly' }));
    expect(() => createElectronStoreBackend(dir)).toThrow(/defimon\.config\.json is invalid .*horizonDays/);
  });

  it('refuses to store secrets when the keychain only obfuscates (Linux basic_text) or is missing', () => {
    const dir = dataDir();
    electron.safeStorage.backend = 'basic_text';
    const linux = createSettingsService({ backend: createElectronStoreBackend(dir), vault: createSafeStorageVault('linux'), env: {}, appVersion: '0.1.0' });
    expect(linux.view().secretStorage).toMatchObject({ writable: false, backend: 'os-keychain' });
    expect(() => linux.update({ secrets: { githubToken: SECRETS.githubToken } })).toThrow(/GNOME Keyring or KWallet/);
    expect(readFileSync(path.join(dir, 'defimon.config.json'), 'utf8')).not.toContain('SECRETtoken');

    electron.safeStorage.backend = 'gnome_libsecret';
    electron.safeStorage.available = false;
    const none = createSettingsService({ backend: createElectronStoreBackend(dir), vault: createSafeStorageVault('darwin'), env: {}, appVersion: '0.1.0' });
    expect(() => none.update({ secrets: { githubToken: SECRETS.githubToken } })).toThrow(/keychain is not available/);
    expect(none.encryptClearSecrets()).toEqual([]);
  });
});
