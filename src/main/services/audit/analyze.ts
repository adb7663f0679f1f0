/**
 * Source audit without storage, in steps: prepare (expand inputs, check limits, group files by
 * their imports; no parser), analyse each group (parse, model, detectors, token risk), merge.
 * `analyzeSources` runs the steps on the calling thread (tests, benches); the domain and the
 * CLI run them in a worker with a time budget per file (runner.ts).
 */
import type { AuditError, SourceFileInfo } from '../../../shared/contract/audit';
import { endLine, line } from './ast';
import { collectFindings, detectors } from './detectors';
import type { AuditLimits } from './limits';
import { buildProject } from './model';
import { parseSources, type ParsedFile } from './parse';
import { mergeAnalyses, type AnalysisStep, type GroupAnalysis, type SourceAnalysis } from './report';
import { prepareSources, type SourceInput } from './sources';
import { assessTokenRisk } from './token-risk';

export type { SourceAnalysis };

export interface AnalyzeOptions {
  /** Treat every file as one compilation unit (the explorer's multi-file sources). */
  singleProject?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  limits?: AuditLimits;
}

/** Loads the parser and builds its fast variant (the first parse pays for both). */
export function warmUp(): void {
  parseSources([{ path: 'warm-up.sol', content: 'pragma solidity ^0.8.0;\ncontract W { function f(uint a) external pure returns (uint) { if (a > 1) revert(); emit E(a); return a + 1; } event E(uint); }\n' }]);
}

/** Step 2: parse one group and run the model, the detectors and token risk over it. */
export function analyzeGroup(group: readonly SourceInput[], onStep?: (step: AnalysisStep) => void): GroupAnalysis {
  const parsed: ParsedFile[] = [];
  const errors: AuditError[] = [];
  const incomplete: string[] = [];
  for (const input of group) {
    onStep?.({ phase: 'parse', files: [input.path] });
    const r = parseSources([input]);
    parsed.push(...r.files);
    errors.push(...r.errors);
    if (r.errors.length > 0 || r.files.length === 0) incomplete.push(input.path);
  }
  const out: GroupAnalysis = { findings: [], tokenRisk: null, files: parsed.map(fileInfo), errors, incomplete };
  if (parsed.length === 0) return out;
  onStep?.({ phase: 'analyse', files: parsed.map((f) => f.path) });
  try {
    const project = buildProject(parsed);
    out.findings = collectFindings(project, detectors);
    out.tokenRisk = assessTokenRisk(project);
  } catch (err) {
    // Never the internal message (it means nothing to an analyst); which files, and that the result is partial.
    const paths = parsed.map((f) => f.path);
    const stack = err instanceof RangeError ? 'the code is nested too deeply for the analyser' : 'the analyser failed on this code';
    for (const p of paths) if (!incomplete.includes(p)) incomplete.push(p);
    errors.push({ file: paths[0] ?? null, line: null, code: err instanceof RangeError ? 'MALFORMED_DATA' : 'INTERNAL', message: `not analysed: ${stack}${paths.length > 1 ? ` (project of ${paths.length} files: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', ...' : ''})` : ''}` });
  }
  return out;
}

function fileInfo(f: ParsedFile): SourceFileInfo {
  return {
    path: f.path,
    lines: f.lines,
    content: f.content,
    pragma: f.version.text,
    contracts: (f.ast.children ?? [])
      .flatMap((c) => (c.type === 'ContractDefinition' ? [c] : []))
      .map((c) => ({ name: c.name ?? '', kind: c.kind ?? 'contract', line: line(c), endLine: endLine(c) })),
  };
}

/**
 * Audits sources on the calling thread. Files that import each other form one project;
 * unrelated files (a folder of separate contracts) are analysed apart, so two files that both
 * declare `Ownable` do not mix.
 */
export function analyzeSources(inputs: readonly SourceInput[], opts: AnalyzeOptions = {}): SourceAnalysis {
  const prepared = prepareSources(inputs, opts);
  const parts: GroupAnalysis[] = [];
  let done = 0;
  for (const group of prepared.groups) {
    opts.signal?.throwIfAborted();
    parts.push(analyzeGroup(group));
    done += group.length;
    opts.onProgress?.(done, prepared.total);
  }
  return mergeAnalyses(inputs, prepared, parts);
}

