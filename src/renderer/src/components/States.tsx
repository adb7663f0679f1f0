/** Loading, empty and error states, each saying what to do next. */
import { useState, type ReactNode } from 'react';
import { isDesktop, storeApiKey } from '../lib/client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** What the analyst can do about an error, by its stable code. */
export function adviceFor(code: string | undefined): string {
  switch (code) {
    case 'UNAVAILABLE':
      return 'The service cannot be reached: check that it is running and the URL in Settings, then retry.';
    case 'NOT_CONFIGURED':
      return 'This needs configuration: add the key or URL in Settings.';
    case 'FORBIDDEN':
      return 'This server needs an API key: ask its administrator for one and enter it below.';
    case 'INVALID_INPUT':
      return 'Correct the highlighted value and try again.';
    case 'NOT_FOUND':
      return 'It does not exist (any more): go back to the overview.';
    case 'RATE_LIMITED':
      return 'Too many requests: wait a minute and retry.';
    case 'UPSTREAM':
      return 'An external API answered with an error: retry later.';
    case 'TIMEOUT':
      return 'It took too long: retry, or narrow the request.';
    default:
      return 'Retry; if it persists, run `defimon doctor` and check the log.';
  }
}

export function ErrorState({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
  const e = error as { code?: string; message?: string } | null;
  return (
    <div className="state error" role="alert">
      <strong>Could not load {what}</strong>
      {e?.code ? <code className="code">{e.code}</code> : null}: {e?.message ?? String(error)}
      <div className="advice">{adviceFor(e?.code)}</div>
      {e?.code === 'FORBIDDEN' && !isDesktop ? <ApiKeyForm /> : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Stores the team server's API key in this browser and reloads with it. */
function ApiKeyForm() {
  const [key, setKey] = useState('');
  return (
    <form
      className="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        if (!key.trim()) return;
        storeApiKey(key.trim());
        window.location.reload();
      }}
    >
      <input type="password" autoComplete="off" aria-label="API key" placeholder="API key" value={key} onChange={(e) => setKey(e.target.value)} />
      <button type="submit" disabled={!key.trim()}>
        Use this key
      </button>
    </form>
  );
}
