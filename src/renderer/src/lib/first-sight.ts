/**
 * What a route shows first, known from its URL alone: its view's code, the chart library where
 * the view opens on a chart, and the calls it makes at once. The page starts these before the rest
 * of its code runs (boot.ts) and on every in-app navigation (App); each is a no-op once loaded,
 * started or cached.
 */
import type { Input, MethodName } from '../../../shared/contract';
import { preloadCharts } from '../components/Chart';
import { DEFAULT_RANGE, seriesInput } from './range';
import type { Route } from './route';

/** A call as `[method, input]`, typed by its method. */
export type StartedCall = { [M in MethodName]: readonly [M, Input<M>] }[MethodName];

/** Each lazily loaded view's code, and whether it opens on a chart (the overview ships in the first bundle). */
export const views = {
  asset: { code: () => import('../views/AssetDetail'), opensOnChart: true },
  audit: { code: () => import('../views/Audit'), opensOnChart: false },
  data: { code: () => import('../views/Data'), opensOnChart: false },
  models: { code: () => import('../views/Models'), opensOnChart: false },
  settings: { code: () => import('../views/Settings'), opensOnChart: false },
} satisfies Partial<Record<Route['view'], { code: () => Promise<unknown>; opensOnChart: boolean }>>;

/** Starts loading a view's code and, if it opens on a chart, the chart library. */
export function preloadView(view: Route['view']): void {
  if (!(view in views)) return;
  const v = views[view as keyof typeof views];
  // A failure here is met again, and shown, when the view itself loads its code.
  v.code().catch(() => undefined);
  if (v.opensOnChart) void preloadCharts();
}

/** The calls a route makes as soon as it shows. */
export function firstCalls(route: Route): StartedCall[] {
  switch (route.view) {
    case 'asset':
      // The asset page opens on its price chart (the default range) under the asset's facts.
      return [
        ['ui.series', seriesInput(route.assetId, 'market', DEFAULT_RANGE)],
        ['assets.get', { assetId: route.assetId }],
      ];
    default:
      return [];
  }
}
