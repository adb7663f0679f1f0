// Lint, including the layer rules: shared imports nothing of ours but shared; services and
// headless never import electron; the renderer imports only shared and its own code.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The domains under src/main/services (the rest there is infrastructure: core, kernel, config, log, rpc, storage, events, tasks). */
export const SERVICE_DOMAINS = ['assets', 'audit', 'collect', 'importer', 'ml', 'settings', 'sync', 'system', 'ui'];

const servicePatterns = [
  { group: ['electron', 'electron/*', 'electron-store', 'electron-updater'], message: 'Services and headless code must run without Electron (only src/main/app imports electron).' },
  { group: ['**/main/app/**', '**/app/*', '**/renderer/**', '**/preload/**'], message: 'Services may not import the shell or the renderer.' },
  { group: ['**/services/shared', '**/services/shared/*', '../shared/*', './shared/*'], message: '"shared" means the contract in src/shared; primitives for services live in services/kernel.' },
];

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'https', 'worker_threads'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'resources/**', 'build/**', 'test/fixtures/**', 'artifacts/**', 'cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['bin/**/*.cjs', 'scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'electron/*'], message: 'src/shared runs everywhere: no electron.' },
        { group: nodeBuiltins, message: 'src/shared runs in the renderer too: no Node built-ins.' },
        { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared imports nothing but shared code and zod.' },
      ] }],
    },
  },
  {
    files: ['src/main/services/**/*.ts', 'src/main/headless/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: servicePatterns }] },
  },
  // Each domain reaches another only through its public modules: `index.ts` (built by the
  // composition root) and `api.ts` (its small typed read API). Types may be imported from anywhere.
  ...SERVICE_DOMAINS.map((domain) => ({
    files: [`src/main/services/${domain}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...servicePatterns,
        {
          group: SERVICE_DOMAINS.filter((d) => d !== domain).flatMap((d) => [`../${d}/*`, `!../${d}/api`, `../../${d}/*`, `!../../${d}/api`]),
          allowTypeImports: true,
          message: `The ${domain} domain uses another domain only through its api.ts (or index.ts): its tables and internals are its own (see src/main/services/README.md).`,
        },
      ] }],
    },
  })),
  {
    // One configuration module reads the environment; everything else gets settings from it.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/main/services/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from the configuration (services/config: loadConfig, or its env helpers), never process.env directly.' }],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'electron/*'], message: 'The renderer reaches the main process only through the contract client.' },
        { group: nodeBuiltins, message: 'The renderer has no Node.' },
        { group: ['**/main/**', '**/preload/**'], message: 'The renderer imports only shared and its own code.' },
      ] }],
    },
  },
);
