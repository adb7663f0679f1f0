/**
 * Competitor similarity from project descriptions into `competitor_analysis`. With a Hugging
 * Face token (or a configured inference endpoint), sentence embeddings from the feature-
 * extraction task (cached per model and text hash in `text_embeddings`); offline or without a
 * token, an in-process TF-IDF cosine similarity, so the feature always works. Each asset keeps
 * its `topK` most similar assets; the method column says which one produced them.
 */
import { createHash } from 'node:crypto';
import type { InferenceClient } from '@huggingface/inference';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import type * as HuggingfaceInferenceModule from '@huggingface/inference';

export const HF_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const Vector = z.array(z.number().finite()).min(8);
const EmbeddingOutput = z.union([Vector, z.array(Vector).length(1).transform((v) => v[0] as number[])]);

interface AssetText {
  assetId: string;
  text: string;
}

function projectTexts(core: Core): AssetText[] {
  const rows = core.store.db.prepare<unknown[], { asset_id: string; name: string; category: string | null; description: string | null; notes: string | null }>('SELECT asset_id, name, category, description, notes FROM crypto_assets ORDER BY asset_id').all();
  return rows.map((r) => ({ assetId: r.asset_id, text: [r.name, r.category, r.description].filter((s): s is string => !!s && s.trim() !== '').join('. ') }));
}

const STOP = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'for', 'to', 'in', 'on', 'is', 'are', 'with', 'by', 'as', 'at', 'its', 'it', 'that', 'this', 'from', 'be']);

export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP.has(w));
}

/** TF-IDF vectors (L2-normalised sparse maps) for a corpus. */
export function tfidfVectors(texts: string[]): Map<string, number>[] {
  const docs = texts.map(tokenize);
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const n = docs.length;
  return docs.map((d) => {
    const tf = new Map<string, number>();
    for (const w of d) tf.set(w, (tf.get(w) ?? 0) + 1);
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, c] of tf) {
      const x = (c / d.length) * Math.log((1 + n) / (1 + (df.get(w) ?? 0)) + 1);
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
}

function sparseCosine(a: Map<string, number>, b: Map<string, number>): number {
  const [s, l] = a.size < b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [w, x] of s) dot += x * (l.get(w) ?? 0);
  return dot;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

async function embed(core: Core, client: InferenceClient, texts: AssetText[], signal: AbortSignal, progress: (done: number, total: number) => void): Promise<Map<string, number[]>> {
  const model = core.config.hfEndpointUrl ? `endpoint:${core.config.hfEndpointUrl}` : HF_MODEL;
  const out = new Map<string, number[]>();
  const get = core.store.db.prepare<[string, string], { vector: string }>('SELECT vector FROM text_embeddings WHERE model = ? AND text_hash = ?');
  for (const [i, t] of texts.entries()) {
    if (signal.aborted) throw new AppError('CANCELLED', 'similarity was cancelled');
    const hash = createHash('sha256').update(t.text).digest('hex');
    const cached = get.get(model, hash);
    if (cached) {
      out.set(t.assetId, JSON.parse(cached.vector) as number[]);
      continue;
    }
    await core.ports.limiter.acquire('http:huggingface', { ratePerSec: 5, burst: 5, signal });
    let raw: unknown;
    try {
      raw = await client.featureExtraction(
        core.config.hfEndpointUrl ? { endpointUrl: core.config.hfEndpointUrl, inputs: t.text } : { model: HF_MODEL, inputs: t.text, provider: 'hf-inference' },
        { signal },
      );
    } catch (err) {
      if (signal.aborted) throw new AppError('CANCELLED', 'similarity was cancelled');
      throw new AppError('UPSTREAM', `huggingface: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const v = EmbeddingOutput.safeParse(raw);
    if (!v.success) throw new AppError('MALFORMED_DATA', 'huggingface: feature extraction did not return a vector');
    out.set(t.assetId, v.data);
    core.store.write('text_embeddings', [{ model, text_hash: hash, vector: JSON.stringify(v.data), created_at: new Date().toISOString() }]);
    progress(i + 1, texts.length);
  }
  return out;
}

/**
 * @param args.offline Use the in-process TF-IDF only, even with a Hugging Face token (the first
 *   import runs it so every described asset has peers before any network call). @default false
 * @param args.topK Most similar assets kept per asset. @default 8
 */
export async function collectSimilarity(args: { core: Core; topK?: number; offline?: boolean; signal: AbortSignal; progress: (done: number, total: number | null, message?: string) => void }): Promise<{ items: number; details: Record<string, unknown>; local: boolean }> {
  const { core, signal } = args;
  const topK = args.topK ?? 8;
  const texts = projectTexts(core).filter((t) => t.text.length > 0);
  if (texts.length < 2) return { items: 0, details: { method: 'none', reason: 'fewer than two assets with a description' }, local: true };
  let method = 'tfidf';
  let sim: (i: number, j: number) => number = () => 0;
  let fallbackReason: string | null = null;
  if (!args.offline && (core.config.hfToken || core.config.hfEndpointUrl)) {
    try {
      // Loaded when embeddings are asked for, not at every start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { InferenceClient: Client } = require('@huggingface/inference') as typeof HuggingfaceInferenceModule;
      const client = new Client(core.config.hfToken ?? '');
      const vecs = await embed(core, client, texts, signal, (d, t) => args.progress(d, t, 'embeddings'));
      const arr = texts.map((t) => vecs.get(t.assetId) as number[]);
      method = `hf:${HF_MODEL}`;
      sim = (i, j) => cosine(arr[i] as number[], arr[j] as number[]);
    } catch (err) {
      if (err instanceof AppError && err.code === 'CANCELLED') throw err;
      // Offline or the API refused: the local method still answers.
      fallbackReason = (err as Error).message;
      core.log.warn({ err: fallbackReason }, 'embeddings unavailable; using TF-IDF similarity');
    }
  }
  if (method === 'tfidf') {
    const vecs = tfidfVectors(texts.map((t) => t.text));
    sim = (i, j) => sparseCosine(vecs[i] as Map<string, number>, vecs[j] as Map<string, number>);
  }
  const stamp = new Date().toISOString();
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < texts.length; i++) {
    const scored: { j: number; s: number }[] = [];
    for (let j = 0; j < texts.length; j++) if (j !== i) scored.push({ j, s: sim(i, j) });
    scored.sort((a, b) => b.s - a.s);
    for (const { j, s } of scored.slice(0, topK)) rows.push({ asset_id: texts[i]?.assetId, competitor_id: texts[j]?.assetId, method, similarity: Math.round(s * 1e6) / 1e6, computed_at: stamp });
  }
  // Only what changed is written: this method's pairs that left an asset's top K are removed, new
  // pairs and changed similarities are written, and a pair whose similarity holds keeps its row
  // (and the time it was computed). Rewriting every pair with a new stamp made each run a change
  // of every row, which sync then pushed to the team and every teammate pulled.
  const key = (assetId: unknown, competitorId: unknown): string => `${String(assetId)}\u0000${String(competitorId)}`;
  let written = 0;
  let removed = 0;
  core.store.transaction(() => {
    const held = core.store.db
      .prepare<[string], { asset_id: string; competitor_id: string; similarity: number | null }>('SELECT asset_id, competitor_id, similarity FROM competitor_analysis WHERE method = ?')
      .all(method);
    const was = new Map(held.map((r) => [key(r.asset_id, r.competitor_id), r.similarity]));
    const kept = new Set(rows.map((r) => key(r.asset_id, r.competitor_id)));
    const drop = core.store.db.prepare('DELETE FROM competitor_analysis WHERE asset_id = ? AND competitor_id = ? AND method = ?');
    for (const r of held) if (!kept.has(key(r.asset_id, r.competitor_id))) removed += drop.run(r.asset_id, r.competitor_id, method).changes;
    const changed = rows.filter((r) => was.get(key(r.asset_id, r.competitor_id)) !== r.similarity);
    if (changed.length > 0) written = core.store.write('competitor_analysis', changed);
  });
  args.progress(texts.length, texts.length, 'done');
  // TF-IDF is computed here: only embeddings fetched from the endpoint show that the network answered.
  return { items: rows.length, details: { method, assets: texts.length, changed: written, removed, ...(fallbackReason ? { fallbackReason } : {}) }, local: method === 'tfidf' };
}
