/**
 * Auto-update through electron-updater's generic provider, off by default: only when the analyst
 * turns it on in this app's Settings with an https feed URL — a folder holding the `latest*.yml`
 * files electron-builder writes. electron-updater is loaded only then. What is installed is
 * verified by electron-updater against the signature the build pinned (Windows: the publisher
 * names in app-update.yml; macOS: the running app's code signature).
 */
import type { AppUpdater } from 'electron-updater';
import type { Logger } from '../services/log/logger';

export interface UpdateSettings {
  enabled: boolean;
  feedUrl: string | null;
  /**
   * The settings were set in this app's own window and not changed since (their keychain pin
   * matches). A feed that was not is never followed: what code the app installs is decided in
   * the desktop UI only. @default false
   */
  pinned?: boolean;
}

type Updater = Pick<AppUpdater, 'setFeedURL' | 'checkForUpdatesAndNotify'> & { autoDownload: boolean; logger: unknown };

export interface UpdateController {
  /** Applies the settings (at start and whenever they change). */
  apply(settings: UpdateSettings): Promise<void>;
  /** Checks now; false when updates are off or the app is not an installed build. */
  checkNow(): Promise<boolean>;
  readonly feedUrl: string | null;
}

export function createUpdateController(opts: { load: () => Promise<Updater>; log: Pick<Logger, 'info' | 'warn'>; isPackaged: boolean }): UpdateController {
  let feedUrl: string | null = null;
  let updater: Updater | undefined;
  const check = async (): Promise<boolean> => {
    if (feedUrl === null || updater === undefined || !opts.isPackaged) return false;
    try {
      await updater.checkForUpdatesAndNotify();
      return true;
    } catch (err) {
      // Offline or a bad feed is not an error worth a dialog; it is logged.
      opts.log.warn({ err, feedUrl }, 'update check failed');
      return false;
    }
  };
  return {
    get feedUrl() {
      return feedUrl;
    },
    async apply(settings) {
      if (settings.enabled && settings.pinned !== true) {
        opts.log.warn({}, "the update feed in the settings file was not set in this app's Settings (or was changed since); updates stay off until it is set there");
      }
      const next = settings.enabled && settings.pinned === true && settings.feedUrl !== null && /^https:\/\//.test(settings.feedUrl) ? settings.feedUrl : null;
      if (next === feedUrl) return;
      feedUrl = next;
      if (next === null) {
        opts.log.info({}, 'updates are off');
        return;
      }
      updater ??= await opts.load();
      updater.autoDownload = true;
      updater.logger = null;
      updater.setFeedURL({ provider: 'generic', url: next });
      opts.log.info({ feedUrl: next }, 'updates are on');
      await check();
    },
    checkNow: check,
  };
}
