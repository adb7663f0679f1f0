/**
 * The page's first code, evaluated before React and the contract's schemas: it starts what the
 * opened route shows first (its calls, its view's code, the chart library), so these are on their
 * way while the rest of the app loads. The client takes the started calls over when the view
 * makes them.
 */
import { firstCalls, preloadView } from './lib/first-sight';
import { startCall } from './lib/invoke';
import { parseRoute } from './lib/route';

const route = parseRoute(window.location.hash);
for (const [method, input] of firstCalls(route)) startCall(method, input);
/** Settles when the opened view's code is there (or failed to load): the app mounts then, so the view does not suspend. */
export const viewReady = preloadView(route.view);
