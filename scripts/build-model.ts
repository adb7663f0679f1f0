// Trains the default model on the bundled dataset (resources/dataset) and ships it beside the
// data as model.json.gz, naming the dataset fingerprint it was trained on, so a first start
// installs it and shows scores at once. Run by `npm run dataset` after the data files are built.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { datasetFingerprint } from '../src/main/services/importer/importer';
import { createLogger } from '../src/main/services/log/logger';
import { BUNDLED_MODEL_FILE, exportModel, writeBundledModel } from '../src/main/services/ml/bundled';

async function main(): Promise<void> {
  const datasetDir = path.resolve(__dirname, '..', 'resources', 'dataset');
  const fingerprint = datasetFingerprint(datasetDir);
  if (fingerprint === null) throw new Error(`no dataset files in ${datasetDir}: run scripts/build-dataset.mjs first`);
  // Train from scratch: an older shipped model must not be installed and re-exported.
  rmSync(path.join(datasetDir, BUNDLED_MODEL_FILE), { force: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defimon-model-build-'));
  const config = loadConfig({ overrides: { dataDir, datasetDir, autoImport: true, logLevel: 'silent' }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir, level: 'silent', toStderr: false }) });
  try {
    const t0 = performance.now();
    let last = '';
    const off = services.core.bus.onAny((name, payload) => {
      const p = payload as { kind?: string; message?: string };
      if (name === 'progress' && p.kind === 'ml.train' && p.message && p.message !== last) {
        last = p.message;
        process.stdout.write(`  ${p.message}\n`);
      }
    });
    const m = await services.client.call('ml.train', { promote: true });
    off();
    const bundle = exportModel(services.core.store, m.version, fingerprint);
    const file = writeBundledModel(datasetDir, bundle);
    const manifestFile = path.join(datasetDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
    manifest.model = { file: BUNDLED_MODEL_FILE, version: m.version, datasetFingerprint: fingerprint, trainTo: m.trainTo, ensembleIc: m.metrics.ensemble.meanIc, predictions: bundle.predictions.length };
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    process.stdout.write(`model ${m.version}: ensemble IC ${m.metrics.ensemble.meanIc?.toFixed(3) ?? "n/a"}, ${bundle.predictions.length} predictions, ${((performance.now() - t0) / 1000).toFixed(0)} s -> ${file}\n`);
  } finally {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`build-model: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
