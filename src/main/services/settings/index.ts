/**
 * The settings domain: `settings.get`, `settings.update` and `settings.clearSecret` over the
 * settings service. The desktop app passes a service backed by electron-store and the OS
 * keychain; other runners get one over the plain settings file with no vault, so secrets there
 * come from the environment and storing one is refused (NOT_CONFIGURED, saying what to do).
 */
import path from 'node:path';
import { SecretKeys, SettingsValuesPatch, SOURCE_SETTINGS, type SecretKey, type SettingAccess, type settingsMethods, type SettingsUpdate, type SettingsView } from '../../../shared/contract/settings';
import { AppError } from '../../../shared/errors';
import { CONFIG_FILE_NAME } from '../config/config';
import type { Core } from '../core';
import type { CallContext, HandlersFor } from '../rpc/dispatch';
import { createJsonFileBackend, createSettingsService, type SettingsService, type SettingsServiceView } from './service';

export interface SettingsDomain {
  handlers: HandlersFor<typeof settingsMethods>;
  service: SettingsService;
}

/** The app version the settings document migrates to; kept in step with package.json by a test. */
export const SETTINGS_APP_VERSION = '0.1.0';

/** `core` needs only config, log and bus, so the desktop main process can run this domain too. */
export interface SettingsDomainOptions {
  service?: SettingsService;
  /** Restarts the services on the current settings (the desktop app's services process). */
  restart?: () => Promise<void>;
}

export function createSettingsDomain(core: Pick<Core, 'config' | 'log' | 'bus'>, opts: SettingsDomainOptions = {}): SettingsDomain {
  const { service, restart } = opts;
  const settings = service ?? createSettingsService({ backend: createJsonFileBackend(path.join(core.config.dataDir, CONFIG_FILE_NAME)), vault: null, appVersion: SETTINGS_APP_VERSION });
  const announce = (changed: string[], pendingRestart: string[]): void => {
    if (changed.length === 0) return;
    core.log.info({ keys: changed }, 'settings changed');
    core.bus.emit('settings.changed', { keys: changed, restartRequired: changed.some((k) => pendingRestart.includes(k)) });
  };
  const forCaller = (view: SettingsServiceView, ctx: CallContext): SettingsView => ({ ...view, access: accessFor(ctx) });
  return {
    service: settings,
    handlers: {
      'settings.get': (_input, ctx) => forCaller(settings.view(), ctx),
      'settings.update': (input, ctx) => {
        assertMayChange(input, ctx);
        const { view, changed } = settings.update(input);
        announce(changed, view.pendingRestart);
        return forCaller(view, ctx);
      },
      'settings.clearSecret': ({ key }, ctx) => {
        assertMayClear(key, ctx);
        const { view, changed } = settings.clearSecret(key);
        announce(changed, view.pendingRestart);
        return forCaller(view, ctx);
      },
      'settings.restart': async () => {
        if (restart === undefined) {
          throw new AppError('NOT_CONFIGURED', 'this runner cannot restart itself: restart `defimon serve` (or the CLI command) to apply the changed settings');
        }
        await restart();
        settings.markApplied();
        return { restarted: true };
      },
    },
  };
}

/**
 * Where code and data come from is decided on the desktop. Over HTTP, a change to an endpoint,
 * the update feed or a secret would let any caller of a server repoint the collectors (and the
 * keys they send) or the updater: refused unless the caller holds an admin key; the update feed
 * is refused from everything but the desktop app's own window (IPC), admin or not. Returns why
 * `key` (a values key, or `secrets.<key>`) cannot be changed by this caller, or null when it can.
 */
export function refusalFor(key: string, ctx: CallContext): string | null {
  if (key === 'updates' && ctx.origin !== 'ipc') return "the update feed is set in the desktop app's Settings only: what code the app installs is never changed from elsewhere";
  if (ctx.origin !== 'http' || ctx.admin === true) return null;
  if ((SOURCE_SETTINGS as readonly string[]).includes(key) || key.startsWith('secrets.')) {
    return 'cannot be changed over HTTP without an admin key: it decides where requests and API keys go; use the desktop app or the settings file';
  }
  return null;
}

/** Every settings key with whether this caller may change it (what the form greys out, and why). */
function accessFor(ctx: CallContext): Record<string, SettingAccess> {
  const keys = [...Object.keys(SettingsValuesPatch.shape), ...SecretKeys.map((k) => `secrets.${k}`)];
  return Object.fromEntries(
    keys.map((k) => {
      const reason = refusalFor(k, ctx);
      return [k, { editable: reason === null, reason }];
    }),
  );
}

function assertMayChange(input: SettingsUpdate, ctx: CallContext): void {
  const values = input.values ?? {};
  const updates = values.updates !== undefined ? refusalFor('updates', ctx) : null;
  if (updates !== null) throw new AppError('FORBIDDEN', updates);
  const keys = [...Object.keys(values).filter((k) => values[k as keyof typeof values] !== undefined), ...Object.keys(input.secrets ?? {}).map((k) => `secrets.${k}`)];
  const refused = keys.filter((k) => refusalFor(k, ctx) !== null);
  if (refused.length > 0) {
    throw new AppError('FORBIDDEN', `${refused.join(', ')} cannot be changed over HTTP without an admin key: they decide where requests and API keys go; use the desktop app or the settings file`);
  }
}

function assertMayClear(key: SecretKey, ctx: CallContext): void {
  if (refusalFor(`secrets.${key}`, ctx) !== null) {
    throw new AppError('FORBIDDEN', `secrets.${key} cannot be removed over HTTP without an admin key; use the desktop app`);
  }
}
