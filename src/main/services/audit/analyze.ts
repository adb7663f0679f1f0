/**
 * Source audit without storage: parse, model, detectors, token risk, score. Pure and
 * synchronous so the CLI can audit files without opening the database, and the domain can run
 * it inside a task.
 */
import { createHash } from 'node:crypto';
import type { AuditError, AuditReport, BytecodeFacts, Finding, SourceFileInfo, TokenRisk } from '../../../shared/contract/audit';
import { endLine, line, type Node } from './ast';
import { collectFindings, DETECTOR_VERSION, detectors } from './detectors';
import { buildProject } from './model';
import { parseSources, type ParsedFile, type SourceInput } from './parse';
import { scoreAudit } from './score';
import { assessTokenRisk } from './token-risk';

export interface SourceAnalysis {
  findings: Finding[];
  tokenRisk: TokenRisk;
  files: SourceFileInfo[];
  errors: AuditError[];
  sourceHash: string;
}

export function hashSources(inputs: readonly SourceInput[]): string {
  const h = createHash('sha256');
  for (const f of [...inputs].sort((a, b) => a.path.localeCompare(b.path))) h.update(f.path).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}

export interface AnalyzeOptions {
  /** Treat every file as one compilation unit (the explorer's multi-file sources). */
  singleProject?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Audits sources. Files that import each other form one project; unrelated files (a folder of
 * separate contracts) are analysed apart, so two files that both declare `Ownable` do not mix.
 */
export function analyzeSources(inputs: readonly SourceInput[], opts: AnalyzeOptions = {}): SourceAnalysis {
  const { files, errors } = parseSources(inputs);
  const findings: Finding[] = [];
  const risks: TokenRisk[] = [];
  const groups = opts.singleProject ? [files] : groupByImports(files);
  let done = 0;
  for (const group of groups) {
    opts.signal?.throwIfAborted();
    try {
      const project = buildProject(group);
      findings.push(...collectFindings(project, detectors));
      risks.push(assessTokenRisk(project));
    } catch (err) {
      // A detector bug must not take the whole audit down; say where it failed.
      errors.push({ file: group[0]?.path ?? null, line: null, message: `analysis failed: ${(err as Error).message}` });
    }
    done += group.length;
    opts.onProgress?.(done, files.length);
  }
  const infos: SourceFileInfo[] = files.map((f) => ({
    path: f.path,
    lines: f.lines,
    content: f.content,
    pragma: f.version.text,
    contracts: ((f.ast as unknown as Node).children ?? [])
      .filter((c) => c.type === 'ContractDefinition')
      .map((c) => ({ name: c.name ?? '', kind: c.kind ?? 'contract', line: line(c), endLine: endLine(c) })),
  }));
  return { findings, tokenRisk: mergeRisks(risks), files: infos, errors, sourceHash: hashSources(inputs) };
}

function mergeRisks(list: TokenRisk[]): TokenRisk {
  if (list.length === 1) return list[0] as TokenRisk;
  const out: TokenRisk = {};
  for (const r of list) {
    for (const [k, v] of Object.entries(r)) {
      const prev = out[k];
      if (!prev || (!prev.value && v.value)) out[k] = { ...v, evidence: [...(prev && prev.value ? prev.evidence : []), ...v.evidence].slice(0, 20) };
      else if (v.value) prev.evidence = [...prev.evidence, ...v.evidence].slice(0, 20);
    }
  }
  return out;
}

/** Connected components of the import graph (imports resolved by relative path, then by file name). */
export function groupByImports(files: readonly ParsedFile[]): ParsedFile[][] {
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
    for (const c of (f.ast as unknown as Node).children ?? []) {
      if (c.type !== 'ImportDirective') continue;
      const p = String((c as unknown as { path?: string }).path ?? '');
      const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
      const j = index.get(normalise(p.startsWith('.') ? `${dir}/${p}` : p)) ?? byBase.get(p.split('/').pop() ?? p);
      if (j !== undefined) parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, ParsedFile[]>();
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

export function buildReport(a: SourceAnalysis, opts: { target: AuditReport['target']; bytecode: BytecodeFacts | null; sourceVerified: boolean; started: number; extraErrors?: AuditError[] }): AuditReport {
  const { score, reasoning } = scoreAudit(a.findings, a.tokenRisk, { sourceVerified: opts.sourceVerified });
  return {
    findings: a.findings,
    tokenRisk: a.tokenRisk,
    score,
    scoreReasoning: reasoning,
    errors: [...a.errors, ...(opts.extraErrors ?? [])],
    files: a.files,
    bytecode: opts.bytecode,
    target: opts.target,
    sourceHash: a.sourceHash,
    detectorVersion: DETECTOR_VERSION,
    auditedAt: new Date().toISOString(),
    cached: false,
    ms: Math.round(performance.now() - opts.started),
  };
}

/** The CLI's JSON document: exactly findings, tokenRisk, score, errors. */
export function cliDocument(r: Pick<AuditReport, 'findings' | 'tokenRisk' | 'score' | 'errors'>): { findings: unknown[]; tokenRisk: TokenRisk; score: number; errors: unknown[] } {
  return {
    findings: r.findings.map((f) => ({
      swc: f.swc,
      category: f.category,
      severity: f.severity,
      confidence: f.confidence,
      line: f.line,
      endLine: f.endLine,
      title: f.title,
      description: f.description,
      recommendation: f.recommendation,
      file: f.file,
      contract: f.contract,
      function: f.function,
    })),
    tokenRisk: r.tokenRisk,
    score: r.score,
    errors: r.errors,
  };
}

export { DETECTOR_VERSION };
