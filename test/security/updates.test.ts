/**
 * What code the desktop app installs is decided in its own window: the update feed is refused
 * from every other origin, a feed written into the settings file another way is not followed
 * (its keychain pin does not match), and the packaging pins the signature updates must carry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createUpdateController } from '../../src/main/app/updates';
import { createEventBus } from '../../src/main/services/events/bus';
import { createSettingsDomain, SETTINGS_APP_VERSION } from '../../src/main/services/settings';
import { createJsonFileBackend, createSettingsService } from '../../src/main/services/settings/service';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';
import { REPO_ROOT, tempDataDir } from '../helpers/services';
import { memoryVault } from '../helpers/vault';

const FEED = 'https://updates.team.example/defimon';
const EVIL = 'https://updates.evil.example/defimon';

describe('the update feed', () => {
  const tmp = tempDataDir('defimon-updates');
  afterAll(() => tmp.remove());
  const file = path.join(tmp.dir, 'defimon.config.json');
  const service = createSettingsService({ backend: createJsonFileBackend(file), vault: memoryVault(), env: {}, appVersion: SETTINGS_APP_VERSION });
  const config = loadConfig({ overrides: { dataDir: tmp.dir }, env: {} });
  const domain = createSettingsDomain({ config, log: createLogger({ dataDir: tmp.dir, level: 'silent', toStderr: false }), bus: createEventBus() }, { service });
  const updaterFor = async (settings: ReturnType<typeof service.pinnedUpdates>) => {
    const updater = { autoDownload: false, logger: null as unknown, feeds: [] as unknown[], setFeedURL(o: unknown) { this.feeds.push(o); }, async checkForUpdatesAndNotify() { return null; } };
    const load = vi.fn(async () => updater as never);
    const c = createUpdateController({ load, log: { info: () => undefined, warn: () => undefined }, isPackaged: true });
    await c.apply(settings);
    return { feed: c.feedUrl, loaded: load.mock.calls.length };
  };

  it('is followed when set in the desktop window (IPC)', async () => {
    await domain.handlers['settings.update']({ values: { updates: { enabled: true, feedUrl: FEED } } }, { origin: 'ipc' });
    expect(service.pinnedUpdates()).toEqual({ enabled: true, feedUrl: FEED, pinned: true });
    expect(await updaterFor(service.pinnedUpdates())).toEqual({ feed: FEED, loaded: 1 });
  });

  it('is refused from HTTP (admin or not) and the CLI', async () => {
    for (const ctx of [{ origin: 'http' as const }, { origin: 'http' as const, admin: true }, { origin: 'cli' as const }]) {
      expect(() => domain.handlers['settings.update']({ values: { updates: { enabled: true, feedUrl: EVIL } } }, ctx)).toThrow(/desktop app's Settings only/);
    }
    expect(service.pinnedUpdates().feedUrl).toBe(FEED);
  });

  it('is not followed when the settings file is edited by anything else', async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...doc, updates: { enabled: true, feedUrl: EVIL } }));
    expect(service.pinnedUpdates()).toEqual({ enabled: true, feedUrl: EVIL, pinned: false });
    expect(await updaterFor(service.pinnedUpdates())).toEqual({ feed: null, loaded: 0 });
    // A pin copied from elsewhere does not fit either.
    writeFileSync(file, JSON.stringify({ ...doc, updates: { enabled: true, feedUrl: EVIL }, updatesPin: memoryVault().encrypt(JSON.stringify({ enabled: true, feedUrl: EVIL })) }));
    expect(service.pinnedUpdates().pinned).toBe(false);
    // A runner without a keychain (web, CLI) cannot pin anything.
    const headless = createSettingsService({ backend: createJsonFileBackend(file), vault: null, env: {}, appVersion: SETTINGS_APP_VERSION });
    expect(headless.pinnedUpdates().pinned).toBe(false);
  });
});

describe('packaging pins the signature updates must carry', () => {
  it('names the Windows publisher, verifies update signatures, and refuses unsigned builds', async () => {
    const requireFromRoot = createRequire(path.join(REPO_ROOT, 'package.json'));
    const { getConfig } = requireFromRoot('app-builder-lib/out/util/config/config') as { getConfig(dir: string, file: string, extra: null): Promise<Record<string, Record<string, unknown>>> };
    const config = await getConfig(REPO_ROOT, 'electron-builder.yml', null);
    const win = config.win as { signtoolOptions?: { publisherName?: string[] }; verifyUpdateCodeSignature?: boolean; forceCodeSigning?: boolean };
    expect(win.signtoolOptions?.publisherName?.length).toBeGreaterThan(0);
    expect(win.verifyUpdateCodeSignature).not.toBe(false);
    expect(win.forceCodeSigning).toBe(true);
    const mac = config.mac as { hardenedRuntime?: boolean; forceCodeSigning?: boolean; notarize?: boolean };
    expect(mac).toMatchObject({ hardenedRuntime: true, forceCodeSigning: true, notarize: true });
  });
});
