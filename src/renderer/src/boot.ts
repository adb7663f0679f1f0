/**
 * The page's first code, evaluated before React and the contract's schemas: it starts what the
 * opened route shows first (its calls, its view's code, the chart library), so these are on their
 * way while the rest of the app loads.
 */
import { startFirstSight } from './lib/first-sight';
import { parseRoute } from './lib/route';

/** Settles when the opened view's code is there (or failed to load): the app mounts then, so the view does not suspend. */
export const viewReady = startFirstSight(parseRoute(window.location.hash));
