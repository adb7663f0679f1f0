/**
 * Where sources come from and how they are prepared, before any parsing: a file or a folder on
 * disk, the explorer's multi-file JSON or a standard-JSON compiler input expanded into files,
 * the size and nesting limits checked, and files grouped into projects by their imports. Light
 * on purpose (no parser): the caller's thread does this, the worker does the rest.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditError } from '../../../shared/contract/audit';
import { AppError } from '../../../shared/errors';
import { DEFAULT_LIMITS, limitViolation, type AuditLimits } from './limits';

export interface SourceInput {
  path: string;
  content: string;
}

const MAX_FILES = 5000;

/** Expands the explorer's JSON forms (`{{...}}`, `{"sources": ...}`, `{"a.sol": {"content"}}`) into files. */
export function expandSourceInputs(inputs: readonly SourceInput[]): SourceInput[] {
  const out: SourceInput[] = [];
  for (const input of inputs) {
    const trimmed = input.content.trim();
    if (!trimmed.startsWith('{')) {
      out.push(input);
      continue;
    }
    // Etherscan wraps standard JSON in an extra pair of braces.
    const text = trimmed.startsWith('{{') && trimmed.endsWith('}}') ? trimmed.slice(1, -1) : trimmed;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      out.push(input);
      continue;
    }
    const obj = json as { sources?: unknown };
    const sources = (typeof obj.sources === 'object' && obj.sources !== null ? obj.sources : json) as Record<string, unknown>;
    let added = 0;
    for (const [p, v] of Object.entries(sources)) {
      const content = typeof v === 'object' && v !== null ? (v as { content?: unknown }).content : undefined;
      if (typeof content === 'string') {
        out.push({ path: p, content });
        added++;
      }
    }
    if (added === 0) out.push(input);
  }
  return out;
}

/** Reads a .sol file, or every .sol file under a directory (node_modules skipped), sorted by path. */
export function readSourcePath(target: string): { files: SourceInput[]; root: string } {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new AppError('NOT_FOUND', `no such file or directory: ${target}`);
  }
  if (st.isFile()) {
    if (!/\.(sol|json)$/i.test(target)) throw new AppError('INVALID_INPUT', `not a Solidity file: ${target} (give a .sol file, a folder of them, or a standard-JSON input)`);
    const content = readFileSync(target, 'utf8');
    if (/\.json$/i.test(target) && !/"content"\s*:/.test(content)) throw new AppError('INVALID_INPUT', `not a Solidity source: ${target} is JSON without sources (give a standard-JSON compiler input)`);
    return { files: [{ path: path.basename(target), content }], root: path.dirname(target) };
  }
  if (!st.isDirectory()) throw new AppError('INVALID_INPUT', `not a Solidity file or folder: ${target}`);
  const files: SourceInput[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && (entry.name.endsWith('.sol') || entry.name.endsWith('.json'))) {
        const content = readFileSync(full, 'utf8');
        // JSON files count only when they are a standard-JSON input or the explorer's form.
        if (entry.name.endsWith('.json') && !/"content"\s*:/.test(content)) continue;
        files.push({ path: path.relative(target, full).split(path.sep).join('/'), content });
        if (files.length > MAX_FILES) throw new AppError('INVALID_INPUT', `more than ${MAX_FILES} source files under ${target}`);
      }
    }
  };
  walk(target);
  if (files.length === 0) throw new AppError('NOT_FOUND', `no .sol files under ${target}`);
  return { files, root: target };
}

export function hashSources(inputs: readonly SourceInput[]): string {
  const h = createHash('sha256');
  for (const f of [...inputs].sort((a, b) => a.path.localeCompare(b.path))) h.update(f.path).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}

/** Step 1: the files to parse, grouped into projects, and the files refused by a limit. */
export interface PreparedSources {
  groups: SourceInput[][];
  errors: AuditError[];
  refused: string[];
  total: number;
}

export function prepareSources(inputs: readonly SourceInput[], opts: { limits?: AuditLimits; singleProject?: boolean } = {}): PreparedSources {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const errors: AuditError[] = [];
  const refused: string[] = [];
  const ok: SourceInput[] = [];
  const expanded = expandSourceInputs(inputs);
  for (const input of expanded) {
    const content = input.content.replace(/^\uFEFF/, '');
    const why = limitViolation(content, limits);
    if (why) {
      errors.push({ file: input.path, line: null, code: 'INVALID_INPUT', message: `not analysed: ${why}` });
      refused.push(input.path);
    } else ok.push({ path: input.path, content });
  }
  return { groups: opts.singleProject ? (ok.length > 0 ? [ok] : []) : groupByImports(ok), errors, refused, total: expanded.length };
}

const IMPORT = /\bimport\s+(?:[^'";]*?\bfrom\s*)?["']([^"']+)["']/g;

/** Import paths of a file, read from its text (before parsing, so grouping needs no parser). */
function importsOf(content: string): string[] {
  const code = content.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  return [...code.matchAll(IMPORT)].map((m) => m[1] as string);
}

/** Connected components of the import graph (imports resolved by relative path, then by file name). */
export function groupByImports<T extends { path: string; content: string }>(files: readonly T[]): T[][] {
  const index = new Map<string, number>();
  const byBase = new Map<string, number>();
  files.forEach((f, i) => {
    index.set(normalise(f.path), i);
    byBase.set(f.path.split('/').pop() ?? f.path, i);
  });
  const parent = files.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  files.forEach((f, i) => {
    for (const p of importsOf(f.content)) {
      const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
      const j = index.get(normalise(p.startsWith('.') ? `${dir}/${p}` : p)) ?? byBase.get(p.split('/').pop() ?? p);
      if (j !== undefined) parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, T[]>();
  files.forEach((f, i) => {
    const r = find(i);
    const g = groups.get(r) ?? [];
    g.push(f);
    groups.set(r, g);
  });
  return [...groups.values()];
}

function normalise(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

