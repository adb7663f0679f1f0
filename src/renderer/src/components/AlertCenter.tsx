/**
 * Evaluates the alert rules every minute and tells the analyst once per firing: a desktop
 * notification in the desktop app (Notification web API), an in-app toast in web mode.
 */
import { useEffect, useState } from 'react';
import type { Alert } from '../../../shared/contract/ui';
import { isDesktop } from '../lib/client';
import { useCall } from '../lib/calls';

const SEEN_KEY = 'defimon.alerts.seen';

function loadSeen(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(SEEN_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

function saveSeen(seen: Set<string>): void {
  try {
    // Bounded: the newest 500 firings are enough to never repeat a current one.
    localStorage.setItem(SEEN_KEY, JSON.stringify([...seen].slice(-500)));
  } catch {
    /* storage disabled: alerts may repeat after a restart */
  }
}

export function AlertCenter() {
  const q = useCall('ui.alerts', {}, { refetchInterval: 60_000 });
  const [toasts, setToasts] = useState<Alert[]>([]);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    if (!q.data) return;
    const seen = loadSeen();
    const fresh = q.data.filter((a) => !seen.has(a.key));
    if (fresh.length === 0) return;
    for (const a of fresh) seen.add(a.key);
    saveSeen(seen);
    if (isDesktop && typeof Notification !== 'undefined') {
      const show = (): void => {
        for (const a of fresh) new Notification('DEFIMON alert', { body: a.message, tag: a.key });
      };
      if (Notification.permission === 'granted') show();
      else if (Notification.permission !== 'denied') void Notification.requestPermission().then((p) => p === 'granted' && show());
    } else setToasts((t) => [...t, ...fresh].slice(-5));
  }, [q.data]);

  const active = q.data ?? [];
  return (
    <>
      <button type="button" className="bell" aria-label={`${active.length} alerts firing`} aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Alerts {active.length}
      </button>
      {open && (
        <div className="alert-popover panel" role="dialog" aria-label="Alerts firing now">
          {active.length === 0 ? <p className="muted">No alert is firing. Add rules on an asset’s page.</p> : null}
          <ul>
            {active.map((a) => (
              <li key={a.key}>
                <a href={`#/asset/${encodeURIComponent(a.assetId)}`} onClick={() => setOpen(false)}>
                  {a.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="toasts" aria-live="polite" data-testid="toasts">
        {toasts.map((a) => (
          <div key={a.key} className="toast" role="status">
            <span>{a.message}</span>
            <button type="button" aria-label="Dismiss" onClick={() => setToasts((t) => t.filter((x) => x.key !== a.key))}>
              ×
            </button>
          </div>
        ))}
      </div>
    </>
  );
}
