/**
 * The settings domain: `settings.get`, `settings.update` and `settings.clearSecret` over the
 * settings service. The desktop app passes a service backed by electron-store and the OS
 * keychain; other runners get one over the plain settings file with no vault, so secrets there
 * come from the environment and storing one is refused (NOT_CONFIGURED, saying what to do).
 */
import path from 'node:path';
import type { settingsMethods } from '../../../shared/contract/settings';
import { AppError } from '../../../shared/errors';
import { CONFIG_FILE_NAME } from '../config/config';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { createJsonFileBackend, createSettingsService, type SettingsService } from './service';

export interface SettingsDomain {
  handlers: HandlersFor<typeof settingsMethods>;
  service: SettingsService;
}

/** Endpoints the services send secrets to (API keys, tokens). */
const SECRET_BEARING_ENDPOINTS = ['etherscanBaseUrl', 'coingeckoBaseUrl', 'githubBaseUrl', 'hfEndpointUrl'] as const;

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
  return {
    service: settings,
    handlers: {
      'settings.get': () => settings.view(),
      'settings.update': (input, ctx) => {
        // The services send API keys to these endpoints: a remote caller that could repoint one
        // could collect the team's keys. Over HTTP they are read-only (set them in the file or app).
        const endpoints = SECRET_BEARING_ENDPOINTS.filter((k) => input.values?.[k] !== undefined);
        if (ctx.origin === 'http' && endpoints.length > 0) {
          throw new AppError('FORBIDDEN', `${endpoints.join(', ')} cannot be changed over HTTP: API keys are sent there; edit the settings file or use the desktop app`);
        }
        const { view, changed } = settings.update(input);
        announce(changed, view.pendingRestart);
        return view;
      },
      'settings.clearSecret': ({ key }) => {
        const { view, changed } = settings.clearSecret(key);
        announce(changed, view.pendingRestart);
        return view;
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
