/**
 * The settings service, free of Electron: it reads and writes the settings document through a
 * backend (electron-store in the desktop app, a plain JSON file elsewhere) and keeps secrets
 * through a vault (the OS keychain via Electron's safeStorage in the desktop app; none in web
 * and CLI mode, where secrets come from DEFIMON_* environment variables and storing one is
 * refused). Nothing it returns to a caller ever contains a secret.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { SecretKeys, type SecretKey, type SecretStatus, type SettingField, type SettingsUpdate, type SettingsView } from '../../../shared/contract/settings';
import { AppError } from '../../../shared/errors';
import { CollectConfig, configFields, configFromEnv, currentEnv, DefimonConfig } from '../config/config';
import {
  ENCRYPTED_SECRETS_KEY,
  migrateSettingsDocument,
  readClearSecrets,
  readEncryptedSecrets,
  readValues,
  SECRET_ENV_VARS,
  secretHost,
  UPDATES_PIN_KEY,
  updatesPinText,
  validateSecret,
  VALUE_KEYS,
  type SettingsDocument,
} from './document';

/** Where the document lives. `write` must replace it atomically (all or nothing). */
export interface SettingsBackend {
  readonly path: string;
  read(): SettingsDocument;
  write(doc: SettingsDocument): void;
}

/** Encrypts secrets at rest. `unavailableReason` is null when it can encrypt now. */
export interface SecretVault {
  unavailableReason(): string | null;
  /** Plain text to an opaque base64 string. */
  encrypt(plain: string): string;
  decrypt(cipher: string): string;
}

/** The settings as the service sees them; the domain adds what the caller may change (`access`). */
export type SettingsServiceView = Omit<SettingsView, 'access'>;

export interface SettingsService {
  readonly path: string;
  view(): SettingsServiceView;
  update(patch: SettingsUpdate): { view: SettingsServiceView; changed: string[] };
  clearSecret(key: SecretKey): { view: SettingsServiceView; changed: string[] };
  /**
   * Desktop start-up: encrypts clear-text secrets found in the file and removes the clear copy.
   * Returns the keys it moved; does nothing without a working vault.
   */
  encryptClearSecrets(): SecretKey[];
  /** The services were restarted on the current settings: nothing is pending any more. */
  markApplied(): void;
  /**
   * The update settings and whether they were set through this service with a working vault
   * (the desktop app's window) and not changed since: their encrypted pin matches.
   */
  pinnedUpdates(): { enabled: boolean; feedUrl: string | null; pinned: boolean };
  /**
   * Decrypted stored secrets not overridden by the environment, for building the configuration
   * (main process only). `unreadable` names secrets this keychain cannot decrypt (stored under
   * another OS account); the app starts without them and the analyst enters them again.
   */
  secretsForConfig(): { secrets: Partial<Record<SecretKey, string>>; unreadable: SecretKey[] };
}

/** Keys the running app applies at once; every other change takes effect on restart. */
const LIVE_KEYS = new Set(['updates']);

const NO_VAULT_REASON =
  'secrets are stored only by the desktop app (encrypted with the OS keychain); in web and CLI mode set them as environment variables (e.g. DEFIMON_RPC_URL) on the machine that runs DEFIMON';

/** A JSON file written atomically (temp file + rename), readable only by its owner. */
export function createJsonFileBackend(file: string): SettingsBackend {
  return {
    path: file,
    read() {
      if (!existsSync(file)) return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new AppError('MALFORMED_DATA', `settings file ${file} is not valid JSON: ${(err as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError('MALFORMED_DATA', `settings file ${file} must hold a JSON object`);
      return parsed as SettingsDocument;
    },
    write(doc) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}

export interface SettingsServiceOptions {
  backend: SettingsBackend;
  /** Null in web and CLI mode. */
  vault: SecretVault | null;
  /** The environment the services were configured from. @default the process environment (read through the configuration module) */
  env?: NodeJS.ProcessEnv;
  /** The running app's version, for the document's migrations. */
  appVersion: string;
}

/** The collector tunables the file sets, with defaults filled in (the file's own errors are reported by readValues). */
function effectiveCollect(stored: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = CollectConfig.safeParse(stored ?? {});
  return parsed.success ? parsed.data : CollectConfig.parse({});
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored collector tunables with a patch merged in: nested parts merge, a `null` leaf is removed (back to its default). */
export function mergeCollect(stored: unknown, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isPlainObject(stored) ? { ...stored } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else if (isPlainObject(v)) {
      const merged = mergeCollect(out[k], v);
      if (Object.keys(merged).length === 0) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

const valueAt = (root: unknown, dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), root);

/** The collector tunables the form shows: the schema's description, bounds and default, the file's value, the environment's override. */
function collectFields(stored: unknown, envLayer: Record<string, unknown>): SettingField[] {
  return configFields('collect').map((f) => {
    const v = valueAt({ collect: stored }, f.key);
    return { ...f, stored: typeof v === 'number' ? v : null, envOverridden: valueAt(envLayer, f.key) !== undefined };
  });
}

export function createSettingsService(opts: SettingsServiceOptions): SettingsService {
  const { backend, vault } = opts;
  const env = opts.env ?? currentEnv();
  const pendingRestart = new Set<string>();
  const defaults = DefimonConfig.parse({ dataDir: '.' });

  const load = (): SettingsDocument => migrateSettingsDocument(backend.read(), opts.appVersion).doc;
  const vaultReason = (): string | null => (vault === null ? NO_VAULT_REASON : vault.unavailableReason());
  const envSecret = (key: SecretKey): boolean => (env[SECRET_ENV_VARS[key]] ?? '') !== '';

  function build(doc: SettingsDocument): SettingsServiceView {
    const { values } = readValues(doc);
    const encrypted = readEncryptedSecrets(doc);
    const clear = readClearSecrets(doc);
    const secrets = {} as Record<SecretKey, SecretStatus>;
    for (const key of SecretKeys) {
      const fromEnv = env[SECRET_ENV_VARS[key]];
      let source: SecretStatus['source'] = null;
      let host: string | null = null;
      if (fromEnv !== undefined && fromEnv !== '') {
        source = 'env';
        host = secretHost(key, fromEnv);
      } else if (encrypted[key] !== undefined) {
        source = 'keychain';
        // Decrypting only to name the host; a vault that cannot decrypt leaves it unnamed.
        if (vault !== null && vault.unavailableReason() === null) {
          try {
            host = secretHost(key, vault.decrypt(encrypted[key]));
          } catch {
            host = null;
          }
        }
      } else if (clear[key] !== undefined) {
        source = 'file';
        host = secretHost(key, clear[key]);
      }
      secrets[key] = { set: source !== null, source, host, envVar: SECRET_ENV_VARS[key] };
    }
    const envLayer = configFromEnv(env);
    const reason = vaultReason();
    return {
      values: {
        horizonDays: values.horizonDays ?? defaults.horizonDays,
        chainId: values.chainId ?? defaults.chainId,
        logLevel: values.logLevel ?? defaults.logLevel,
        autoImport: values.autoImport ?? defaults.autoImport,
        autoCollect: values.autoCollect ?? defaults.autoCollect,
        collect: effectiveCollect(values.collect),
        redisPrefix: values.redisPrefix ?? defaults.redisPrefix,
        etherscanBaseUrl: values.etherscanBaseUrl ?? defaults.etherscanBaseUrl,
        coingeckoBaseUrl: values.coingeckoBaseUrl ?? defaults.coingeckoBaseUrl,
        defillamaBaseUrl: values.defillamaBaseUrl ?? defaults.defillamaBaseUrl,
        githubBaseUrl: values.githubBaseUrl ?? defaults.githubBaseUrl,
        hfEndpointUrl: values.hfEndpointUrl ?? null,
        updates: { enabled: values.updates?.enabled ?? false, feedUrl: values.updates?.feedUrl ?? null },
      },
      envOverrides: VALUE_KEYS.filter((k) => k in envLayer),
      secrets,
      secretStorage: { writable: reason === null, backend: vault === null ? 'none' : 'os-keychain', reason },
      file: backend.path,
      pendingRestart: [...pendingRestart].sort(),
      fields: collectFields(values.collect, envLayer),
    };
  }

  function commit(doc: SettingsDocument, changed: string[]): { view: SettingsServiceView; changed: string[] } {
    if (changed.length > 0) {
      backend.write(doc);
      for (const k of changed) if (!LIVE_KEYS.has(k)) pendingRestart.add(k);
    }
    return { view: build(doc), changed };
  }

  return {
    path: backend.path,
    view: () => build(load()),

    update(patch) {
      const secrets = Object.entries(patch.secrets ?? {}) as [SecretKey, string][];
      // Everything is checked before anything is written: a refused secret leaves the file as it was.
      if (secrets.length > 0) {
        const reason = vaultReason();
        if (reason !== null) throw new AppError('NOT_CONFIGURED', `cannot store ${secrets.map(([k]) => k).join(', ')}: ${reason}`);
        for (const [key, value] of secrets) validateSecret(key, value);
      }
      const doc: SettingsDocument = { ...load() };
      const changed: string[] = [];
      for (const [key, value] of Object.entries(patch.values ?? {})) {
        if (value === undefined) continue;
        const prev = JSON.stringify(doc[key] ?? null);
        const next = key === 'collect' && value !== null ? mergeCollect(doc.collect, value as Record<string, unknown>) : value;
        if (next === null || (key === 'collect' && Object.keys(next as object).length === 0)) delete doc[key];
        else doc[key] = next;
        if (JSON.stringify(doc[key] ?? null) !== prev) changed.push(key);
      }
      // The merged result must still be a valid configuration (e.g. no half-configured updates).
      const check = DefimonConfig.safeParse({ ...readValues(doc).values, dataDir: '.' });
      if (!check.success) {
        const issues = check.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        throw new AppError('INVALID_INPUT', `settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { details: { issues } });
      }
      if (patch.values?.updates !== undefined) {
        // Only a runner with a working vault (the desktop app) can pin the feed it was given.
        if (vaultReason() === null) doc[UPDATES_PIN_KEY] = (vault as SecretVault).encrypt(updatesPinText(doc.updates));
        else delete doc[UPDATES_PIN_KEY];
      }
      if (secrets.length > 0) {
        const v = vault as SecretVault;
        const encrypted: Record<string, string> = { ...readEncryptedSecrets(doc) };
        for (const [key, value] of secrets) {
          encrypted[key] = v.encrypt(value);
          // A hand-written clear copy would shadow nothing but must not stay on disk.
          delete doc[key];
          changed.push(key);
        }
        doc[ENCRYPTED_SECRETS_KEY] = encrypted;
      }
      return commit(doc, changed);
    },

    clearSecret(key) {
      const doc: SettingsDocument = { ...load() };
      const encrypted: Record<string, string> = { ...readEncryptedSecrets(doc) };
      const had = key in encrypted || key in doc;
      delete encrypted[key];
      delete doc[key];
      doc[ENCRYPTED_SECRETS_KEY] = encrypted;
      return commit(doc, had ? [key] : []);
    },

    encryptClearSecrets() {
      if (vaultReason() !== null) return [];
      const doc: SettingsDocument = { ...load() };
      const clear = readClearSecrets(doc);
      const keys = Object.keys(clear) as SecretKey[];
      if (keys.length === 0) return [];
      const v = vault as SecretVault;
      const encrypted: Record<string, string> = { ...readEncryptedSecrets(doc) };
      for (const key of keys) {
        encrypted[key] = v.encrypt(clear[key] as string);
        delete doc[key];
      }
      doc[ENCRYPTED_SECRETS_KEY] = encrypted;
      backend.write(doc);
      return keys;
    },

    markApplied() {
      pendingRestart.clear();
    },

    pinnedUpdates() {
      const doc = load();
      const { updates } = build(doc).values;
      const pin = doc[UPDATES_PIN_KEY];
      let pinned = false;
      if (typeof pin === 'string' && vault !== null && vault.unavailableReason() === null) {
        try {
          pinned = vault.decrypt(pin) === updatesPinText(updates);
        } catch {
          pinned = false;
        }
      }
      return { ...updates, pinned };
    },

    secretsForConfig() {
      const secrets: Partial<Record<SecretKey, string>> = {};
      const unreadable: SecretKey[] = [];
      if (vault === null || vault.unavailableReason() !== null) return { secrets, unreadable };
      for (const [key, cipher] of Object.entries(readEncryptedSecrets(load())) as [SecretKey, string][]) {
        if (envSecret(key)) continue;
        try {
          secrets[key] = vault.decrypt(cipher);
        } catch {
          unreadable.push(key);
        }
      }
      return { secrets, unreadable };
    },
  };
}
