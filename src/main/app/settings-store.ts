/**
 * The desktop app's settings: electron-store over the shared settings file (so the CLI and the
 * server read the same non-secret values) and the OS keychain through `safeStorage` for secrets.
 * Only the main process holds decrypted secrets; the renderer gets placeholders, the services
 * process gets them in its configuration.
 */
import path from 'node:path';
import { safeStorage } from 'electron';
import Store from 'electron-store';
import { AppError } from '../../shared/errors';
import { CONFIG_FILE_NAME } from '../services/config/config';
import { SETTINGS_MIGRATIONS, settingsJsonSchema, type SettingsDocument } from '../services/settings/document';
import { createSettingsService, type SecretVault, type SettingsBackend, type SettingsService } from '../services/settings/service';

/** `defimon.config.json` in the data directory, through electron-store (schema, migrations, atomic writes). */
export function createElectronStoreBackend(dataDir: string): SettingsBackend {
  let store: Store<SettingsDocument>;
  try {
    store = openStore(dataDir);
  } catch (err) {
    // A hand-edited file that fails the schema: say which file and what, rather than a bare stack.
    throw new AppError('MALFORMED_DATA', `the settings file ${path.join(dataDir, CONFIG_FILE_NAME)} is invalid (${(err as Error).message}); fix or remove the named keys`, { cause: err });
  }
  return {
    path: store.path,
    read: () => ({ ...store.store }),
    write(doc) {
      store.store = doc;
    },
  };
}

function openStore(dataDir: string): Store<SettingsDocument> {
  return new Store<SettingsDocument>({
    cwd: dataDir,
    name: CONFIG_FILE_NAME.replace(/\.json$/, ''),
    schema: settingsJsonSchema() as never,
    // The same migrations the headless runners apply in memory, recorded in electron-store's ledger.
    migrations: Object.fromEntries(SETTINGS_MIGRATIONS.map((m) => [m.version, (s: { store: SettingsDocument }) => {
      s.store = m.up({ ...s.store });
    }])),
    // Dot notation would split keys such as "server.port"; the document is flat by design.
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
  });
}

/**
 * Secrets through the OS keychain. On Linux without a secret service, Electron falls back to a
 * hard-coded password ("basic_text"), which is obfuscation, not encryption: refused, so the
 * analyst uses environment variables there instead.
 */
export function createSafeStorageVault(platform: NodeJS.Platform = process.platform): SecretVault {
  return {
    unavailableReason() {
      if (!safeStorage.isEncryptionAvailable()) return 'the OS keychain is not available; set secrets as DEFIMON_* environment variables instead';
      if (platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
        return 'no secret service (GNOME Keyring or KWallet) was found, so secrets could not be encrypted; install one, or set secrets as DEFIMON_* environment variables';
      }
      return null;
    },
    encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
    decrypt: (cipher) => safeStorage.decryptString(Buffer.from(cipher, 'base64')),
  };
}

export function createDesktopSettings(dataDir: string, appVersion: string): SettingsService {
  return createSettingsService({ backend: createElectronStoreBackend(dataDir), vault: createSafeStorageVault(), appVersion });
}
