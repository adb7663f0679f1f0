/**
 * The page's entry, small on purpose: it starts what the opened route shows first (boot.ts), then
 * loads the app itself (React, the contract's schemas, the views' shell), which mounts when loaded.
 */
import './boot';
import './styles.css';

import('./mount').catch((err: unknown) => {
  const root = document.getElementById('root');
  if (root) root.textContent = `DEFIMON could not load its code (${err instanceof Error ? err.message : String(err)}): reload the page.`;
});
