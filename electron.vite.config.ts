import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Electron is an optional dependency: where its binary could not be downloaded, npm leaves it out.
// electron-vite reads Electron's major version (for the Node target) from node_modules/electron;
// without it, the version declared in package.json gives the same answer, so the build still works.
try {
  createRequire(__filename).resolve('electron/package.json');
} catch {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const declared = /\d+/.exec(pkg.optionalDependencies?.electron ?? '')?.[0];
  if (declared && !process.env.ELECTRON_MAJOR_VER) process.env.ELECTRON_MAJOR_VER = declared;
}

export default defineConfig({
  main: {
    build: {
      // electron-store is ESM-only: bundle it; everything else in dependencies stays external.
      externalizeDeps: { exclude: ['electron-store'] },
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src/main/app/index.ts'),
          cli: resolve(__dirname, 'src/main/headless/cli.ts'),
          'ml-worker': resolve(__dirname, 'src/main/services/ml/worker.ts'),
          'audit-worker': resolve(__dirname, 'src/main/services/audit/worker.ts'),
          'ui-worker': resolve(__dirname, 'src/main/services/ui/read-worker.ts'),
          // The utility process that hosts the services (started by the app's main process).
          'services-host': resolve(__dirname, 'src/main/app/services-host.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      // Smaller bundles for the packaged app and web mode.
      minify: true,
      rolldownOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
