/**
 * What a route shows first, known from its URL alone: its view's code, the chart library where
 * the view opens on a chart, and the calls it makes at once. The page starts these before the rest
 * of its code runs (boot.ts) and on every in-app navigation (App); each is a no-op once loaded,
 * started or cached.
 */
import type { Input, MethodName } from '../../../shared/contract';
import { lazy, type ComponentType } from 'react';
import { preloadCharts } from '../components/Chart';
import { DEFAULT_RANGE, seriesInput } from './range';
import type { Route } from './route';

/** A call as `[method, input]`, typed by its method. */
export type StartedCall = { [M in MethodName]: readonly [M, Input<M>] }[MethodName];

/** A module loaded once: `load()` starts (or joins) loading it, `loaded()` has it once it is there. */
export interface LoadedOnce<M> {
  load(): Promise<M>;
  loaded(): M | null;
}

export function loadOnce<M>(importer: () => Promise<M>): LoadedOnce<M> {
  let module: M | null = null;
  let loading: Promise<M> | null = null;
  return {
    load: () =>
      (loading ??= importer().then(
        (m) => (module = m),
        (err: unknown) => {
          loading = null; // the next caller tries again
          throw err;
        },
      )),
    loaded: () => module,
  };
}

/** Each view's code, loaded when its route first shows, and whether the view opens on a chart. */
export const views = {
  overview: { code: loadOnce(() => import('../views/Overview')), opensOnChart: false },
  asset: { code: loadOnce(() => import('../views/AssetDetail')), opensOnChart: true },
  audit: { code: loadOnce(() => import('../views/Audit')), opensOnChart: false },
  data: { code: loadOnce(() => import('../views/Data')), opensOnChart: false },
  models: { code: loadOnce(() => import('../views/Models')), opensOnChart: false },
  settings: { code: loadOnce(() => import('../views/Settings')), opensOnChart: false },
} satisfies Record<Route['view'], { code: LoadedOnce<unknown>; opensOnChart: boolean }>;

/**
 * A view's component, loaded on first render. If its code is already there (started by
 * `preloadView`), it renders at once instead of suspending: a suspended view shows its fallback,
 * and React then holds the view back for up to 300 ms after that fallback appeared.
 */
export function lazyView<M, P extends object>(code: LoadedOnce<M>, pick: (m: M) => ComponentType<P>) {
  return lazy((): Promise<{ default: ComponentType<P> }> => {
    const m = code.loaded();
    if (m === null) return code.load().then((mod) => ({ default: pick(mod) }));
    // Already loaded: a thenable that answers synchronously, which React reads as resolved.
    const now = { then: (resolve: (v: { default: ComponentType<P> }) => void) => resolve({ default: pick(m) }) };
    return now as unknown as Promise<{ default: ComponentType<P> }>;
  });
}

/** Starts loading a view's code and, if it opens on a chart, the chart library; resolves when the code is there (or failed to load). */
export function preloadView(view: Route['view']): Promise<void> {
  const v = views[view];
  if (v.opensOnChart) void preloadCharts();
  // A failure here is met again, and shown, when the view itself loads its code.
  return v.code.load().then(
    () => undefined,
    () => undefined,
  );
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

