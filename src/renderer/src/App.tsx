/** The shell of the renderer: navigation, keyboard shortcuts, theme, alerts and the data attribution. */
import { Suspense, useCallback, useEffect } from 'react';
import { AlertCenter } from './components/AlertCenter';
import { navigate, useRoute, type Route } from './lib/route';
import { useTheme } from './lib/theme';
import { ThemeContext, ThemeSetterContext } from './lib/theme-context';
import { Loading } from './components/States';
import { prefetchCall, useCall, useLiveInvalidation } from './lib/calls';
import { useQueryClient } from '@tanstack/react-query';
import { firstCalls, lazyView, preloadView, views } from './lib/first-sight';

// Each view's code loads when its route is first opened (or ahead of it: lib/first-sight.ts).
const Overview = lazyView(views.overview.code, (m) => m.Overview);
const AssetDetail = lazyView(views.asset.code, (m) => m.AssetDetail);
const AuditView = lazyView(views.audit.code, (m) => m.AuditView);
const DataView = lazyView(views.data.code, (m) => m.DataView);
const ModelsView = lazyView(views.models.code, (m) => m.ModelsView);
const SettingsView = lazyView(views.settings.code, (m) => m.SettingsView);

const NAV: { view: Route['view']; label: string; key: string }[] = [
  { view: 'overview', label: 'Overview', key: '1' },
  { view: 'audit', label: 'Audit', key: '2' },
  { view: 'models', label: 'Models', key: '3' },
  { view: 'data', label: 'Data', key: '4' },
  { view: 'settings', label: 'Settings', key: '5' },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function App() {
  const qc = useQueryClient();
  // A view shows once its code is there (no suspended fallback); what it shows first is asked for
  // meanwhile (nothing that is cached and fresh).
  const prepare = useCallback(
    (r: Route): Promise<void> => {
      for (const [method, input] of firstCalls(r)) prefetchCall(qc, method, input as never);
      return preloadView(r.view);
    },
    [qc],
  );
  const route = useRoute(prepare);
  const [theme, setTheme] = useTheme();
  const info = useCall('system.info');
  useLiveInvalidation();

  useEffect(() => {
    // 1-5 switch views, "/" searches the overview, Escape leaves a field; never while typing.
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && isTyping(e.target)) {
        (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const item = NAV.find((n) => n.key === e.key);
      if (item) {
        e.preventDefault();
        navigate({ view: item.view } as Route);
      } else if (e.key === '/') {
        e.preventDefault();
        if (route.view !== 'overview') navigate({ view: 'overview' });
        setTimeout(() => document.getElementById('overview-search')?.focus(), 0);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [route.view]);

  const current = route.view === 'asset' ? 'overview' : route.view;
  const dataset = info.data?.dataset;
  return (
    <ThemeContext.Provider value={theme}>
      <ThemeSetterContext.Provider value={setTheme}>
      <div className="app">
        <header>
          <h1>DEFIMON</h1>
          <nav aria-label="Views">
            {NAV.map((n) => (
              <a key={n.view} href={`#/${n.view}`} className={current === n.view ? 'active' : ''} aria-current={current === n.view ? 'page' : undefined} title={`${n.label} (${n.key})`}>
                {n.label}
              </a>
            ))}
          </nav>
          <span className="spacer" />
          <AlertCenter />
          <button type="button" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀' : '☾'}
          </button>
        </header>
        <main>
          <Suspense fallback={<Loading what="the view" />}>
          {route.view === 'overview' && <Overview />}
          {route.view === 'asset' && <AssetDetail key={route.assetId} assetId={route.assetId} />}
          {route.view === 'audit' && <AuditView address={route.address} />}
          {route.view === 'models' && <ModelsView />}
          {route.view === 'data' && <DataView />}
          {route.view === 'settings' && <SettingsView />}
          </Suspense>
        </main>
        <footer className="muted" data-testid="attribution">
          {dataset ? `${dataset.name}, to ${dataset.cutoff} (UTC). ${dataset.attribution}` : info.isError ? 'Dataset attribution unavailable.' : ''}
          {info.data ? <span className="right">v{info.data.version} · {info.data.mode}</span> : null}
        </footer>
      </div>
      </ThemeSetterContext.Provider>
    </ThemeContext.Provider>
  );
}
