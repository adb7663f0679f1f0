/**
 * The model pipeline on the bundled dataset, each figure beside its anchor from the same run:
 * - training (panel, features, walk-forward validation of all four models, final fit) against
 *   scikit-learn fitting ridge, histogram boosting, a random forest and an MLP on the same
 *   features, targets and folds (through /usr/bin/python3 when it has scikit-learn, else a skip
 *   line), with the walk-forward ICs side by side;
 * - scoring a day that is not stored (lookback window, in process) and the same day again
 *   (cached), against reading a stored day's scores, all through `ml.score`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { computeFeatures } from '../src/main/services/ml/features';
import { trainInWorker } from '../src/main/services/ml/jobs';
import { parallelExecutor, trainingThreads } from '../src/main/services/ml/parallel';
import { loadPanel } from '../src/main/services/ml/panel';
import { DEFAULT_GBM, DEFAULT_NN, DEFAULT_RF, MODEL_NAMES, runPipeline, type FitData, type FoldExecutor, type FoldJob, type JobSpan, type ModelName, type TrainParams } from '../src/main/services/ml/pipeline';
import { newVersionId, saveTrainedModel, setSetting } from '../src/main/services/ml/registry';
import { evaluate } from '../src/main/services/ml/validation';
import { withBundledServices, machineLine, median, ms, ratioLine } from './util';

const peakMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const f3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));
const PYTHON = '/usr/bin/python3';

function sklearnAvailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'scikit-learn is not installed for it (python3-sklearn)';
}

/**
 * How much of the time any fit ran were fits running on two or more threads at once (threads
 * really side by side, not taking turns), with each thread's busy time.
 */
function sideBySide(spans: JobSpan[]): string {
  const events = spans.flatMap((s) => [
    { t: s.from, d: 1 },
    { t: s.to, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let running = 0;
  let any = 0;
  let several = 0;
  for (let k = 0; k < events.length; k++) {
    running += events[k]!.d;
    const next = events[k + 1]?.t ?? events[k]!.t;
    if (running >= 1) any += next - events[k]!.t;
    if (running >= 2) several += next - events[k]!.t;
  }
  const busy = new Map<number, number>();
  for (const s of spans) busy.set(s.thread, (busy.get(s.thread) ?? 0) + (s.to - s.from));
  const perThread = [...busy.entries()].map(([thread, t]) => `thread ${thread} ${ms(t)}`).join(', ');
  return `${any > 0 ? ((100 * several) / any).toFixed(0) : '-'}% of the ${ms(any)} during which any fit ran had two or more threads fitting (${perThread})`;
}

interface Captured {
  data: FitData;
  cols: number[];
  params: TrainParams;
  jobs: FoldJob[];
}

/** Hands the captured fits to scikit-learn; returns its times and out-of-sample predictions per model over all rows. */
function runSklearn(c: Captured, threads: number, work: string): { times: Record<string, number>; cpu: Record<string, number>; total: number; version: string; oos: Record<string, Float64Array> } {
  mkdirSync(work, { recursive: true });
  const F = c.cols.length;
  const n = c.data.target.length;
  const X = new Float32Array(n * F);
  for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) X[r * F + j] = c.data.X[r * c.data.nFeat + c.cols[j]!]!;
  writeFileSync(path.join(work, 'X.f32'), Buffer.from(X.buffer));
  writeFileSync(path.join(work, 'y.f64'), Buffer.from(Float64Array.from(c.data.target).buffer));
  for (const job of c.jobs) {
    writeFileSync(path.join(work, `train-${job.id}.i32`), Buffer.from(Int32Array.from(job.trainRows).buffer));
    writeFileSync(path.join(work, `predict-${job.id}.i32`), Buffer.from(Int32Array.from(job.predictRows).buffer));
  }
  const params = { ...c.params, gbm: { ...DEFAULT_GBM, ...c.params.gbm }, rf: { ...DEFAULT_RF, ...c.params.rf }, nn: { ...DEFAULT_NN, ...c.params.nn } };
  writeFileSync(path.join(work, 'meta.json'), JSON.stringify({ features: F, params, threads, jobs: c.jobs.map((j) => ({ id: j.id })) }));
  execFileSync(PYTHON, [path.join(__dirname, 'sklearn-anchor.py'), work], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' } });
  const res = JSON.parse(readFileSync(path.join(work, 'result.json'), 'utf8')) as { times: Record<string, number>; cpu: Record<string, number>; total: number; sklearn: string };
  const oos: Record<string, Float64Array> = {};
  for (const m of MODEL_NAMES) {
    const all = new Float64Array(n).fill(Number.NaN);
    for (const job of c.jobs) {
      if (job.predictRows.length === 0) continue;
      const buf = readFileSync(path.join(work, `out-${job.id}-${m}.f64`));
      const p = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
      job.predictRows.forEach((r, k) => (all[r] = p[k]!));
    }
    oos[m] = all;
  }
  return { times: res.times, cpu: res.cpu, total: res.total, version: res.sklearn, oos };
}

export async function run(): Promise<void> {
  console.log(machineLine());
  await withBundledServices('ml', async (services, dir) => {
    const store = services.core.store;
    store.db.pragma('wal_checkpoint(TRUNCATE)');

    const db = new Database(store.path, { readonly: true });
    const total0 = performance.now();
    let t = performance.now();
    const panel = loadPanel(db);
    console.log(`stage panel load: ${ms(performance.now() - t)}, peak RSS ${peakMb()} MB (${panel.assets.length} assets x ${panel.days.length} days)`);
    const threads = trainingThreads();
    const inner = parallelExecutor(threads);
    let captured: Captured | null = null;
    // Each model's fit times (wall; CPU of the thread that ran it, where known) summed over the fits.
    const zero = (): Record<ModelName, number> => Object.fromEntries(MODEL_NAMES.map((m) => [m, 0])) as Record<ModelName, number>;
    const oursWall = zero();
    let oursCpu: Record<ModelName, number> | null = zero();
    const spans: JobSpan[] = [];
    const executor: FoldExecutor = async (data, cols, p, jobs, step, signal) => {
      captured = { data, cols, params: p, jobs };
      const outputs = await inner(data, cols, p, jobs, step, signal);
      for (const o of outputs) {
        spans.push(o.span);
        const cpu = o.times.cpuMs;
        for (const m of MODEL_NAMES) {
          oursWall[m] += o.times.wallMs[m];
          if (oursCpu && cpu) oursCpu[m] += cpu[m];
        }
        if (!cpu) oursCpu = null;
      }
      return outputs;
    };
    const cpu0 = process.cpuUsage();
    const result = await runPipeline(panel, {}, { executor, onStage: (stage, msv, rss) => console.log(`stage ${stage}: ${ms(msv)}, peak RSS ${rss} MB`) });
    const cpu = process.cpuUsage(cpu0);
    const oursMs = performance.now() - total0;
    const fitsMs = result.metrics.stages.find((s) => s.stage === 'model fits')?.ms ?? Number.NaN;
    console.log(`full pipeline (this thread + ${threads - 1} helper thread(s)): ${ms(oursMs)} wall (model fits ${ms(fitsMs)}), ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU over all threads; nn backend ${result.metrics.backend}; ${result.trainRows} final training rows, ${result.features.length} features, ${(captured as Captured | null)?.jobs.length ?? 0} fits`);

    const skip = sklearnAvailable();
    let sk: ReturnType<typeof runSklearn> | null = null;
    if (skip) console.log(`SKIP scikit-learn training anchor: ${skip}`);
    else if (captured) {
      sk = runSklearn(captured, threads, path.join(dir, 'sklearn'));
      console.log(`scikit-learn ${sk.version} on the same ${(captured as Captured).jobs.length} fits (same features, winsorised targets, folds; ${threads} threads): ${ms(sk.total * 1000)}`);
      console.log(`  per model, summed over the fits (ours on ${threads} thread(s) side by side, scikit-learn one fit after another); CPU: ours the fitting thread's, scikit-learn its process's:`);
      for (const m of MODEL_NAMES) {
        const wall = `wall ours ${ms(oursWall[m]).padStart(8)} vs ${ms(sk.times[m]! * 1000).padStart(8)} = ${(oursWall[m] / (sk.times[m]! * 1000)).toFixed(2)}x`;
        const cpu = oursCpu ? `;  CPU ours ${ms(oursCpu[m]).padStart(8)} vs ${ms(sk.cpu[m]! * 1000).padStart(8)} = ${(oursCpu[m] / (sk.cpu[m]! * 1000)).toFixed(2)}x` : '';
        console.log(`  ${m.padEnd(6)} ${wall}${cpu}`);
      }
      ratioLine('training, model fits vs scikit-learn', [fitsMs], [sk.total * 1000], 'scikit-learn', 1.2);
      // On a shared machine wall time is mostly waiting for a core; CPU time is the work done.
      if (oursCpu) {
        const cpu = oursCpu;
        const sum = (r: Record<string, number>): number => MODEL_NAMES.reduce((acc, m) => acc + r[m]!, 0);
        ratioLine('training, CPU time of the model fits vs scikit-learn', [sum(cpu)], [sum(sk.cpu) * 1000], 'scikit-learn', 1.2);
        console.log(`fits running side by side: ${sideBySide(spans)}`);
        console.log(`cores busy on average during the fits: ours ${(sum(cpu) / fitsMs).toFixed(2)} of ${threads} thread(s), scikit-learn ${(sum(sk.cpu) / sk.total).toFixed(2)}`);
      }
    }

    // Walk-forward metrics, ours beside scikit-learn's on the same validation rows.
    const fs = computeFeatures(panel, { horizon: result.horizon });
    const valRows: number[] = [];
    for (const job of (captured as Captured | null)?.jobs ?? []) valRows.push(...job.predictRows);
    console.log('walk-forward validation (out of sample):');
    console.log(`  model       meanIC   IC t   IC>0   Q5-Q1    hit    RMSE${sk ? '   | sklearn meanIC  IC t' : ''}`);
    for (const [name, m] of Object.entries({ ...result.metrics.models, chance: result.metrics.chance })) {
      let right = '';
      if (sk && sk.oos[name]) {
        const ev = evaluate(sk.oos[name]!, fs.target, valRows, fs.rowDay, result.horizon).metrics;
        right = `   | ${f3(ev.meanIc).padStart(14)} ${f3(ev.icT).padStart(5)}`;
      }
      console.log(`  ${name.padEnd(10)} ${f3(m.meanIc).padStart(7)} ${f3(m.icT).padStart(6)} ${f3(m.positiveShare).padStart(6)} ${f3(m.quintileSpread).padStart(7)} ${f3(m.hitRate).padStart(6)} ${f3(m.rmse).padStart(7)}${right}`);
    }
    for (const fold of result.metrics.folds) console.log(`  fold ${fold.fold}: train to ${fold.trainEnd}, validate ${fold.valStart}..${fold.valEnd}: IC ensemble ${f3(fold.ic.ensemble)} gbm ${f3(fold.ic.gbm)} rf ${f3(fold.ic.rf)} ridge ${f3(fold.ic.ridge)} nn ${f3(fold.ic.nn)} momentum ${f3(fold.ic.momentum)}`);
    db.close();

    // Scoring through ml.score: a stored day (the anchor), days nobody stored, and them again.
    const version = newVersionId();
    saveTrainedModel(store, version, result, oursMs);
    setSetting(store, 'ab', { champion: version, challenger: null });
    const client = services.client;
    const stored: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      const r = await client.call('ml.score', {});
      stored.push(performance.now() - t0);
      if (i === 0) console.log(`stored scores of ${r.day}: ${r.assets.length} assets`);
    }
    const days = [30, 60, 90, 120, 150, 200, 250, 300, 400].map((k) => fs.days[fs.days.length - 1 - k]!);
    const cold: number[] = [];
    const warm: number[] = [];
    for (const day of days) {
      let t0 = performance.now();
      const r = await client.call('ml.score', { day });
      cold.push(performance.now() - t0);
      t0 = performance.now();
      await client.call('ml.score', { day });
      warm.push(performance.now() - t0);
      if (r.assets.length === 0) throw new Error(`no scores for ${day}`);
    }
    console.log(`score a day not stored (${days.length} days ${days[days.length - 1]}..${days[0]}, with contributions): ${cold.map(ms).join(', ')}; again (cached): median ${ms(median(warm))}; stored-score read: ${stored.map(ms).join(', ')}`);
    ratioLine('scoring a day not stored vs reading stored scores', cold, stored, 'stored read', 10);
    ratioLine('scoring a day again (cached) vs reading stored scores', warm, stored, 'stored read');

    t = performance.now();
    await trainInWorker({ dbPath: store.path, until: undefined, params: {}, threads: 1 });
    console.log(`full training in one worker thread, no helpers: ${ms(performance.now() - t)} wall`);
  });
}
