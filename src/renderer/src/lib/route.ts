/** Hash routes (#/overview, #/asset/AAVE, ...): work the same from file:// in the desktop app and over HTTP. */
import { useEffect, useState } from 'react';

export type Route =
  | { view: 'overview' }
  | { view: 'asset'; assetId: string }
  | { view: 'audit'; address?: string }
  | { view: 'models' }
  | { view: 'data' }
  | { view: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'asset':
      return parts[1] ? { view: 'asset', assetId: parts[1] } : { view: 'overview' };
    case 'audit':
      return parts[1] ? { view: 'audit', address: parts[1] } : { view: 'audit' };
    case 'models':
    case 'data':
    case 'settings':
      return { view: parts[0] };
    default:
      return { view: 'overview' };
  }
}

export function routeHash(r: Route): string {
  switch (r.view) {
    case 'asset':
      return `#/asset/${encodeURIComponent(r.assetId)}`;
    case 'audit':
      return r.address ? `#/audit/${encodeURIComponent(r.address)}` : '#/audit';
    default:
      return `#/${r.view}`;
  }
}

export function navigate(r: Route): void {
  window.location.hash = routeHash(r);
}

/**
 * The current route. With `prepare`, a new route is shown once `prepare(route)` settles (e.g. its
 * view's code has loaded), the current one staying until then; the latest URL wins.
 */
export function useRoute(prepare?: (route: Route) => Promise<unknown>): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const current = (): void => setRoute(parseRoute(window.location.hash));
    const on = (): void => {
      if (prepare) void prepare(parseRoute(window.location.hash)).finally(current);
      else current();
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, [prepare]);
  return route;
}
