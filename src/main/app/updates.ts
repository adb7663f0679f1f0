/**
 * Auto-update through electron-updater's generic provider, off by default: only when the analyst
 * (or the team's admin) turns it on in Settings with an https feed URL — a folder holding the
 * `latest*.yml` files electron-builder writes. electron-updater is loaded only then.
 */
import type { AppUpdater } from 'electron-updater';
import type { Logger } from '../services/log/logger';

export interface UpdateSettings {
  enabled: boolean;
  feedUrl: string | null;
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
      const next = settings.enabled && settings.feedUrl !== null && /^https:\/\//.test(settings.feedUrl) ? settings.feedUrl : null;
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
