/**
 * The settings file (`<dataDir>/defimon.config.json`): one JSON document shared by the desktop
 * app (through electron-store), the CLI and the server (through `loadConfig`). Non-secret values
 * sit at the top level under their configuration names, so `loadConfig` reads them unchanged;
 * secrets sit encrypted under `encryptedSecrets` (which `loadConfig` ignores); electron-store's
 * migration ledger sits under `__internal__`. Clear-text secrets may appear at the top level only
 * when a user wrote them by hand; the desktop app encrypts them on start.
 */
import { z } from 'zod';
import { SecretKeys, SettingsValues, type SecretKey } from '../../../shared/contract/settings';
import { AppError } from '../../../shared/errors';

export const ENCRYPTED_SECRETS_KEY = 'encryptedSecrets';
export const INTERNAL_KEY = '__internal__';
/**
 * The update settings as last set in the desktop app's own window, encrypted with the OS keychain.
 * The updater uses a feed only when it matches this pin, so a feed written into the file by
 * anything else (a hand edit, another process, a server) is not followed.
 */
export const UPDATES_PIN_KEY = 'updatesPin';

/** The canonical form of the update settings that the pin encrypts. */
export function updatesPinText(updates: unknown): string {
  const u = (typeof updates === 'object' && updates !== null ? updates : {}) as { enabled?: unknown; feedUrl?: unknown };
  return JSON.stringify({ enabled: u.enabled === true, feedUrl: typeof u.feedUrl === 'string' ? u.feedUrl : null });
}

export type SettingsDocument = Record<string, unknown>;

/** The environment variable each secret is read from in every runner (see config.ts). */
export const SECRET_ENV_VARS: Record<SecretKey, string> = {
  rpcUrl: 'DEFIMON_RPC_URL',
  rpcWsUrl: 'DEFIMON_RPC_WS_URL',
  etherscanApiKey: 'DEFIMON_ETHERSCAN_API_KEY',
  coingeckoApiKey: 'DEFIMON_COINGECKO_API_KEY',
  githubToken: 'DEFIMON_GITHUB_TOKEN',
  hfToken: 'DEFIMON_HF_TOKEN',
  pgUrl: 'DEFIMON_PG_URL',
  pgReplicaUrl: 'DEFIMON_PG_REPLICA_URL',
  redisUrl: 'DEFIMON_REDIS_URL',
};

/** URL-shaped secrets and the schemes each accepts; the others are opaque tokens. */
const SECRET_URL_SCHEMES: Partial<Record<SecretKey, readonly string[]>> = {
  rpcUrl: ['http:', 'https:'],
  rpcWsUrl: ['ws:', 'wss:'],
  pgUrl: ['postgres:', 'postgresql:'],
  pgReplicaUrl: ['postgres:', 'postgresql:'],
  redisUrl: ['redis:', 'rediss:'],
};

/** Checks a secret's shape without ever echoing it in the error. */
export function validateSecret(key: SecretKey, value: string): void {
  const schemes = SECRET_URL_SCHEMES[key];
  if (schemes === undefined) {
    if (/\s/.test(value)) throw new AppError('INVALID_INPUT', `secrets.${key}: must not contain whitespace`, { details: { issues: [{ path: `secrets.${key}`, message: 'must not contain whitespace' }] } });
    return;
  }
  let protocol: string | null = null;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = null;
  }
  if (protocol === null || !schemes.includes(protocol)) {
    const message = `expected a ${schemes.map((s) => `${s}//`).join(' or ')} URL`;
    throw new AppError('INVALID_INPUT', `secrets.${key}: ${message}`, { details: { issues: [{ path: `secrets.${key}`, message }] } });
  }
}

/** The host of a URL secret (shown so the analyst recognises it), else null. */
export function secretHost(key: SecretKey, value: string): string | null {
  if (SECRET_URL_SCHEMES[key] === undefined) return null;
  try {
    return new URL(value).hostname || null;
  } catch {
    return null;
  }
}

export const VALUE_KEYS = Object.keys(SettingsValues.shape) as (keyof SettingsValues)[];

/**
 * The values part of the document, validated key by key: a value that fails its schema is
 * reported by name rather than silently dropped, so a hand-edit mistake is visible.
 */
export function readValues(doc: SettingsDocument): { values: Partial<SettingsValues>; invalid: string[] } {
  const values: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const key of VALUE_KEYS) {
    if (!(key in doc) || doc[key] === undefined || doc[key] === null) continue;
    const parsed = SettingsValues.shape[key].safeParse(doc[key]);
    if (parsed.success) values[key] = parsed.data;
    else invalid.push(key);
  }
  return { values: values as Partial<SettingsValues>, invalid };
}

export function readEncryptedSecrets(doc: SettingsDocument): Partial<Record<SecretKey, string>> {
  const raw = doc[ENCRYPTED_SECRETS_KEY];
  const out: Partial<Record<SecretKey, string>> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const key of SecretKeys) {
    const v = (raw as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.length > 0) out[key] = v;
  }
  return out;
}

/** Clear-text secrets a user wrote at the top level of the file by hand. */
export function readClearSecrets(doc: SettingsDocument): Partial<Record<SecretKey, string>> {
  const out: Partial<Record<SecretKey, string>> = {};
  for (const key of SecretKeys) {
    const v = doc[key];
    if (typeof v === 'string' && v.trim().length > 0) out[key] = v.trim();
  }
  return out;
}

/**
 * Migrations of the settings document, applied in order of `version` (the app version that
 * introduced them) and recorded where electron-store records its own (`__internal__.migrations`),
 * so the desktop app (which hands these to electron-store) and the headless runners agree on
 * what has been applied. Append only; a shipped migration is never edited.
 */
export interface SettingsMigration {
  version: string;
  description: string;
  up(doc: SettingsDocument): SettingsDocument;
}

export const SETTINGS_MIGRATIONS: readonly SettingsMigration[] = [
  {
    version: '0.1.0',
    description: 'write `updates: { enabled: false }` explicitly, so a later change of the default never turns updates on for an existing install',
    up(doc) {
      const updates = doc.updates;
      if (typeof updates === 'object' && updates !== null && typeof (updates as { enabled?: unknown }).enabled === 'boolean') return doc;
      return { ...doc, updates: { ...(typeof updates === 'object' && updates !== null ? updates : {}), enabled: false } };
    },
  },
];

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function appliedMigrationVersion(doc: SettingsDocument): string {
  const internal = doc[INTERNAL_KEY] as { migrations?: { version?: unknown } } | undefined;
  const v = internal?.migrations?.version;
  return typeof v === 'string' && /^\d+(\.\d+)*$/.test(v) ? v : '0.0.0';
}

/** Applies the migrations newer than the document's recorded version, up to `appVersion`. */
export function migrateSettingsDocument(doc: SettingsDocument, appVersion: string): { doc: SettingsDocument; applied: string[] } {
  const from = appliedMigrationVersion(doc);
  const pending = SETTINGS_MIGRATIONS.filter((m) => compareVersions(m.version, from) > 0 && compareVersions(m.version, appVersion) <= 0).sort((a, b) => compareVersions(a.version, b.version));
  if (pending.length === 0) return { doc, applied: [] };
  let next = doc;
  for (const m of pending) next = m.up(next);
  const internal = (typeof next[INTERNAL_KEY] === 'object' && next[INTERNAL_KEY] !== null ? next[INTERNAL_KEY] : {}) as Record<string, unknown>;
  const migrations = (typeof internal.migrations === 'object' && internal.migrations !== null ? internal.migrations : {}) as Record<string, unknown>;
  const last = pending[pending.length - 1] as SettingsMigration;
  next = { ...next, [INTERNAL_KEY]: { ...internal, migrations: { ...migrations, version: last.version } } };
  return { doc: next, applied: pending.map((m) => m.version) };
}

/**
 * JSON Schema of the document for electron-store's validator: the values' schemas, secrets as
 * strings, anything else (configuration keys the headless runner reads) allowed.
 */
export function settingsJsonSchema(): Record<string, unknown> {
  const values = z.toJSONSchema(SettingsValues.partial(), { unrepresentable: 'any', io: 'input' }) as { properties?: Record<string, unknown> };
  return {
    ...(values.properties ?? {}),
    [ENCRYPTED_SECRETS_KEY]: { type: 'object', additionalProperties: false, properties: Object.fromEntries(SecretKeys.map((k) => [k, { type: 'string' }])) },
  };
}
