import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

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
