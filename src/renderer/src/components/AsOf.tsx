/** A value with its own as-of day and source: greyed with its date when it is stale. */
import type { ReactNode } from 'react';
import { sourceName } from '../../../shared/freshness';

export function AsOf({ children, asOf, stale, source, scope, testId }: { children: ReactNode; asOf: string | null | undefined; stale: boolean; source?: string | null | undefined; scope?: string | null | undefined; testId?: string }) {
  const from = sourceName(source);
  const title = [asOf ? `as of ${asOf}` : null, from ? `source: ${from}` : null, scope ? `covers: ${scope}` : null, stale ? 'stale: older than the dataset’s current window' : null].filter(Boolean).join(' · ');
  return (
    <span className={stale ? 'stale' : undefined} title={title || undefined} data-testid={testId} data-stale={stale ? 'true' : undefined} data-as-of={asOf ?? undefined}>
      {children}
      {stale && asOf ? <span className="stale-date"> {asOf}</span> : null}
    </span>
  );
}
