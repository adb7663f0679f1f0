/**
 * The page's entry, small on purpose: it starts what the opened route shows first (boot.ts), then
 * loads the app itself (React, the contract's schemas, the views' shell) and mounts it once both
 * the app and the opened view's code are there.
 */
import { viewReady } from './boot';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  Promise.all([import('./mount'), viewReady])
    .then(([app]) => app.mount(root))
    .catch((err: unknown) => {
      root.textContent = `DEFIMON could not load its code (${err instanceof Error ? err.message : String(err)}): reload the page.`;
    });
}
