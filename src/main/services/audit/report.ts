/**
 * From analysis to report: each group's result merged into one analysis, files that could not
 * be analysed turned into alerts, the score, and the CLI's JSON document. No parser here.
 */
import type { AuditError, AuditReport, BytecodeFacts, Finding, SourceFileInfo, TokenRisk } from '../../../shared/contract/audit';
import { scoreAudit } from './score';
import { withOverall } from './token-verdict';
import { hashSources, type PreparedSources, type SourceInput } from './sources';
import { DETECTOR_VERSION } from './version';

export interface SourceAnalysis {
  findings: Finding[];
  tokenRisk: TokenRisk;
  files: SourceFileInfo[];
  errors: AuditError[];
  sourceHash: string;
  /** Files that could not be analysed in full (syntax error, a limit, the time budget, a failure): the audit is incomplete. */
  incomplete: string[];
}

/** Step 2's result for one group of files. */
export interface GroupAnalysis {
  findings: Finding[];
  tokenRisk: TokenRisk | null;
  files: SourceFileInfo[];
  errors: AuditError[];
  incomplete: string[];
}

/** What a group is doing, for the time budget: parsing one file, or analysing the parsed files. */
export type AnalysisStep = { phase: 'parse'; files: string[] } | { phase: 'analyse'; files: string[] };

/** Step 3: one analysis from the prepared sources and each group's result. */
export function mergeAnalyses(inputs: readonly SourceInput[], prepared: PreparedSources, parts: readonly GroupAnalysis[]): SourceAnalysis {
  const risks = parts.map((p) => p.tokenRisk).filter((r): r is TokenRisk => r !== null);
  const incomplete = [...prepared.refused, ...parts.flatMap((p) => p.incomplete)];
  return {
    findings: parts.flatMap((p) => p.findings),
    tokenRisk: risks.length > 0 ? mergeRisks(risks) : {},
    files: parts.flatMap((p) => p.files),
    errors: [...prepared.errors, ...parts.flatMap((p) => p.errors)],
    sourceHash: hashSources(inputs),
    incomplete: [...new Set(incomplete)],
  };
}

function mergeRisks(list: TokenRisk[]): TokenRisk {
  const [only] = list;
  if (only && list.length === 1) return only;
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

/**
 * A file that could not be analysed is an alert in the findings, costed like a high finding: a
 * hostile contract cannot earn a clean score by making the analyser fail.
 */
function incompleteAlerts(a: SourceAnalysis): Finding[] {
  return a.incomplete.map((file) => {
    const why = a.errors.filter((e) => e.file === file).map((e) => e.message);
    return {
      swc: 'none',
      category: 'other',
      severity: 'high',
      confidence: 'high',
      line: 1,
      endLine: 1,
      title: `Not analysed: ${file}`,
      description: `This file could not be analysed in full, so the audit is incomplete and its findings may miss flaws in it. ${why.join('; ') || 'The analyser could not read it.'}`,
      recommendation: 'Review this file by hand, or fix what stopped the analysis (a syntax error, a limit, the time budget) and audit again.',
      file,
      detector: 'analysis-incomplete',
      contract: null,
      function: null,
    } satisfies Finding;
  });
}

export function buildReport(a: SourceAnalysis, opts: { target: AuditReport['target']; bytecode: BytecodeFacts | null; sourceVerified: boolean; started: number; extraErrors?: AuditError[] }): AuditReport {
  const findings = [...incompleteAlerts(a), ...a.findings];
  const tokenRisk = withOverall(a.tokenRisk);
  let { score, reasoning } = scoreAudit(findings, tokenRisk, { sourceVerified: opts.sourceVerified });
  if (a.incomplete.length > 0 && a.files.length === 0 && !opts.bytecode) {
    // Nothing was analysed: there is no score to give.
    reasoning = [...reasoning, { reason: 'no file could be analysed', points: -score }];
    score = 0;
  }
  return {
    findings,
    tokenRisk,
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
    incomplete: a.incomplete.length > 0,
    ms: Math.round(performance.now() - opts.started),
  };
}

/** The CLI's JSON document: findings, tokenRisk, score, errors, and whether the audit is incomplete. */
export function cliDocument(r: Pick<AuditReport, 'findings' | 'tokenRisk' | 'score' | 'errors'> & { incomplete?: boolean }): { findings: unknown[]; tokenRisk: TokenRisk; score: number; errors: unknown[]; incomplete: boolean } {
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
    incomplete: r.incomplete ?? r.errors.length > 0,
  };
}

