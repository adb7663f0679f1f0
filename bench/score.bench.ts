/**
 * Scoring a day through `ml.score`, beside its anchor in the same run (reading a stored day's
 * scores): days nobody stored, then the same days again. The model is a small one trained here
 * (2 folds, few trees, 1 epoch) so this bench stays quick; what scoring costs is reading the data
 * and computing features and contributions, not the model's size. `ml` has the full model.
 */
import { loadPanel } from '../src/main/services/ml/panel';
import { runPipeline } from '../src/main/services/ml/pipeline';
import { newVersionId, saveTrainedModel, setSetting } from '../src/main/services/ml/registry';
import { withBundledServices, machineLine, median, ms, ratioLine } from './util';

export async function run(): Promise<void> {
  console.log(machineLine());
  await withBundledServices('score', async (services) => {
    const store = services.core.store;
    const panel = loadPanel(store.db);
    const result = await runPipeline(panel, { folds: 2, gbm: { iterations: 30 }, rf: { trees: 10 }, nn: { epochs: 1 } });
    const version = newVersionId();
    saveTrainedModel(store, version, result, 0);
    setSetting(store, 'ab', { champion: version, challenger: null });
    const client = services.client;
    await client.call('ml.score', {});
    const stored: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const days = [30, 60, 90, 120, 150, 200, 250, 300, 400].map((k) => panel.days[panel.days.length - 1 - k]!);
    for (const day of days) {
      let t0 = performance.now();
      await client.call('ml.score', {});
      stored.push(performance.now() - t0);
      t0 = performance.now();
      const r = await client.call('ml.score', { day });
      cold.push(performance.now() - t0);
      if (r.assets.length === 0) throw new Error(`no scores for ${day}`);
      t0 = performance.now();
      await client.call('ml.score', { day });
      warm.push(performance.now() - t0);
    }
    console.log(`score a day not stored (${days.length} days ${days[days.length - 1]}..${days[0]}, with contributions): ${cold.map(ms).join(', ')}`);
    console.log(`the same day again: median ${ms(median(warm))}; stored-score read (latest day, anchor): ${stored.map(ms).join(', ')}`);
    ratioLine('scoring a day not stored vs reading stored scores', cold, stored, 'stored read', 10);
    ratioLine('scoring the same day again vs reading stored scores', warm, stored, 'stored read');
  });
}
