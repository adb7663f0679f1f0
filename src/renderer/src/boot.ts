/**
 * The page's first code, evaluated before React and the contract's schemas: it starts loading what
 * the opened route shows first (its view's code, the chart library, its first calls), so these
 * are on their way while the rest of the bundle is evaluated and React mounts.
 */
import { firstCalls, preloadView } from './lib/first-sight';
import { startCall } from './lib/invoke';
import { parseRoute } from './lib/route';

const route = parseRoute(window.location.hash);
for (const [method, input] of firstCalls(route)) startCall(method, input);
preloadView(route.view);
