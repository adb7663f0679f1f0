/**
 * Settings: the analyst's preferences (written to the settings file in the data directory, read
 * by the desktop app, the CLI and the server alike) and secrets (API keys, database URLs).
 * Secrets are write-only: no method ever returns one; the renderer sees `{ set, source }`.
 * In the desktop app secrets are encrypted with the OS keychain; in web and CLI mode they come
 * from the environment (`DEFIMON_*`) and `settings.update` refuses to store them.
 */
import { z } from 'zod';
import { Empty } from '../schemas';
import { method, type MethodMap } from './define';

/** Every secret a user can store. Values are never returned by any method. */
export const SecretKeys = ['rpcUrl', 'rpcWsUrl', 'etherscanApiKey', 'coingeckoApiKey', 'githubToken', 'hfToken', 'pgUrl', 'pgReplicaUrl', 'redisUrl'] as const;
export const SecretKey = z.enum(SecretKeys);
export type SecretKey = z.infer<typeof SecretKey>;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** Non-secret settings; each is optional in the file and falls back to the app's default. */
export const SettingsValues = z
  .object({
    /** Forward-return horizon of the models, in days. @default 30 */
    horizonDays: z.number().int().min(1).max(365),
    /** EVM chain the collectors read. @default 137 (Polygon) */
    chainId: z.number().int().positive(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    /** Import the bundled dataset into an empty database on start. @default true */
    autoImport: z.boolean(),
    /** Collect every configured source on its schedule in the desktop app and `serve`. @default true */
    autoCollect: z.boolean(),
    /** Collector tunables (rates, chain walker, intervals), checked against the configuration schema (see the collectors' README). */
    collect: z.record(z.string(), z.unknown()),
    /** Key prefix in the team Redis. @default "defimon:" */
    redisPrefix: z.string().min(1).max(100),
    etherscanBaseUrl: HttpUrl,
    coingeckoBaseUrl: HttpUrl,
    defillamaBaseUrl: HttpUrl,
    githubBaseUrl: HttpUrl,
    hfEndpointUrl: HttpUrl,
    /** Desktop app updates through electron-updater's generic provider. Off by default. */
    updates: z
      .object({
        enabled: z.boolean(),
        /** Folder URL holding latest.yml / latest-mac.yml / latest-linux.yml. */
        feedUrl: z.url({ protocol: /^https$/, error: 'expected an https URL' }).optional(),
      })
      .strict()
      .refine((u) => !u.enabled || u.feedUrl !== undefined, { message: 'updates need a feedUrl when enabled', path: ['feedUrl'] }),
  })
  .strict();
export type SettingsValues = z.infer<typeof SettingsValues>;

/**
 * Settings that decide what code runs or where requests (and the keys sent with them) go: the
 * update feed and every provider endpoint. With every secret (RPC and database URLs, API keys)
 * they are changed only in the desktop app (IPC), or over HTTP with one of a team server's admin
 * keys; the update feed only in the desktop app. A URL-valued setting added later belongs here
 * (a test checks every URL-valued key is listed).
 */
export const SOURCE_SETTINGS = ['etherscanBaseUrl', 'coingeckoBaseUrl', 'defillamaBaseUrl', 'githubBaseUrl', 'hfEndpointUrl', 'updates'] as const satisfies readonly (keyof SettingsValues)[];

export const SecretSource = z.enum([
  /** Encrypted with the OS keychain in the settings file (desktop app). */
  'keychain',
  /** From a DEFIMON_* environment variable (overrides the stored value). */
  'env',
  /** In clear text in the settings file (written by hand); the desktop app encrypts it on start. */
  'file',
]);
export type SecretSource = z.infer<typeof SecretSource>;

export const SecretStatus = z.object({
  set: z.boolean(),
  source: SecretSource.nullable(),
  /** For URL secrets, the host only (e.g. "polygon-mainnet.quiknode.pro"), so the analyst recognises it. */
  host: z.string().nullable(),
  /** The environment variable that sets it in web and CLI mode. */
  envVar: z.string(),
});
export type SecretStatus = z.infer<typeof SecretStatus>;

const UpdatesView = z.object({ enabled: z.boolean(), feedUrl: z.string().nullable() });

/**
 * One numeric tunable of the configuration (today the collectors' `collect.*`), described by the
 * configuration schema itself so the form shows its default and bounds without a second copy.
 */
export const SettingField = z.object({
  /** Dotted configuration key, e.g. "collect.chain.maxRange". */
  key: z.string(),
  /** The part of the configuration it belongs to ("chain", "rates", "intervals", or "" for the top level). */
  group: z.string(),
  /** The schema's own description of what it does. */
  description: z.string(),
  type: z.enum(['int', 'number']),
  min: z.number().nullable(),
  /** False when the bound itself is refused (e.g. a rate must be > 0). */
  minInclusive: z.boolean(),
  max: z.number().nullable(),
  /** Null when unset means "chosen at run time" (the description says how). */
  default: z.number().nullable(),
  /** The value in the settings file, null when it uses the default. */
  stored: z.number().nullable(),
  /** The environment variable that sets it, and whether it does in this process (then it wins over the file). */
  envVar: z.string().nullable(),
  envOverridden: z.boolean(),
});
export type SettingField = z.infer<typeof SettingField>;

/** Whether the caller may change a setting, and if not why (e.g. over HTTP without an admin key). */
export const SettingAccess = z.object({ editable: z.boolean(), reason: z.string().nullable() });
export type SettingAccess = z.infer<typeof SettingAccess>;

export const SettingsView = z.object({
  /** Effective values: the file's, else the defaults (the environment may still override them; see envOverrides). */
  values: z.object({
    horizonDays: SettingsValues.shape.horizonDays,
    chainId: SettingsValues.shape.chainId,
    logLevel: SettingsValues.shape.logLevel,
    autoImport: SettingsValues.shape.autoImport,
    autoCollect: SettingsValues.shape.autoCollect,
    /** Effective collector tunables (defaults filled in). */
    collect: z.record(z.string(), z.unknown()),
    redisPrefix: SettingsValues.shape.redisPrefix,
    etherscanBaseUrl: z.string(),
    coingeckoBaseUrl: z.string(),
    defillamaBaseUrl: z.string(),
    githubBaseUrl: z.string(),
    hfEndpointUrl: z.string().nullable(),
    updates: UpdatesView,
  }),
  /** Keys of `values` that DEFIMON_* environment variables override in this process. */
  envOverrides: z.array(z.string()),
  secrets: z.record(SecretKey, SecretStatus),
  secretStorage: z.object({
    /** True when this runner can store secrets (the desktop app with an OS keychain). */
    writable: z.boolean(),
    backend: z.enum(['os-keychain', 'none']),
    /** Why secrets cannot be stored here, and what to do instead. */
    reason: z.string().nullable(),
  }),
  /** The settings file shared by the desktop app, the CLI and the server. */
  file: z.string(),
  /** Keys changed since start that take effect after a restart. */
  pendingRestart: z.array(z.string()),
  /** The collector tunables (`collect.*`) with defaults and bounds from the configuration schema. */
  fields: z.array(SettingField),
  /**
   * For this caller, per settings key (`horizonDays`, `collect`, ..., and `secrets.<key>`): may it
   * be changed, and if not why. `settings.update` refuses exactly the keys marked not editable.
   */
  access: z.record(z.string(), SettingAccess),
});
export type SettingsView = z.infer<typeof SettingsView>;

/** A change to the values: a key set to `null` goes back to its default. */
export const SettingsValuesPatch = z
  .object({
    horizonDays: SettingsValues.shape.horizonDays.nullable().optional(),
    chainId: SettingsValues.shape.chainId.nullable().optional(),
    logLevel: SettingsValues.shape.logLevel.nullable().optional(),
    autoImport: SettingsValues.shape.autoImport.nullable().optional(),
    autoCollect: SettingsValues.shape.autoCollect.nullable().optional(),
    /**
     * Collector tunables to change, as a nested part of `collect` (e.g. `{ chain: { maxRange: 5000 } }`);
     * merged into the stored ones, a `null` leaf goes back to its default, `collect: null` resets all.
     * Checked against the configuration schema; an error names the dotted key.
     */
    collect: z.record(z.string(), z.unknown()).nullable().optional(),
    redisPrefix: SettingsValues.shape.redisPrefix.nullable().optional(),
    etherscanBaseUrl: HttpUrl.nullable().optional(),
    coingeckoBaseUrl: HttpUrl.nullable().optional(),
    defillamaBaseUrl: HttpUrl.nullable().optional(),
    githubBaseUrl: HttpUrl.nullable().optional(),
    hfEndpointUrl: HttpUrl.nullable().optional(),
    updates: SettingsValues.shape.updates.optional(),
  })
  .strict();
export type SettingsValuesPatch = z.infer<typeof SettingsValuesPatch>;

export const SettingsUpdate = z
  .object({
    values: SettingsValuesPatch.optional(),
    /** Secrets to store (write-only). Use settings.clearSecret to remove one. */
    secrets: z.partialRecord(SecretKey, z.string().trim().min(1, 'empty; use settings.clearSecret to remove a secret').max(4096)).optional(),
  })
  .strict();
export type SettingsUpdate = z.infer<typeof SettingsUpdate>;

export const settingsMethods = {
  'settings.get': method({
    description: 'The settings with secrets as placeholders ({ set, source }); never a secret value.',
    input: Empty,
    output: SettingsView,
  }),
  'settings.update': method({
    description: 'Changes settings and stores secrets (encrypted, desktop only); validates everything before writing anything.',
    input: SettingsUpdate,
    output: SettingsView,
  }),
  'settings.clearSecret': method({
    description: 'Removes a stored secret from the settings file (an environment variable, if set, still applies).',
    input: z.object({ key: SecretKey }).strict(),
    output: SettingsView,
  }),
  'settings.restart': method({
    description: 'Restarts the services so changed settings take effect (desktop app); web and CLI runners answer NOT_CONFIGURED: restart the process.',
    long: true,
    input: Empty,
    output: z.object({ restarted: z.boolean() }),
  }),
} satisfies MethodMap;

export const settingsEvents = {
  /** Settings were changed; `restartRequired` when a changed key is read only at start. */
  'settings.changed': z.object({ keys: z.array(z.string()), restartRequired: z.boolean() }),
  /** A desktop menu command for the renderer to carry out (desktop app only). */
  'shell.command': z.object({ command: z.enum(['openSettings', 'openData', 'openModels']) }),
};
