import type { AuditCategory, Confidence, Finding, Severity } from '../../../../shared/contract/audit';
import { endLine, line, type Node } from '../ast';
import type { ContractInfo, FnInfo, Project } from '../model';

export interface DetectorContext {
  p: Project;
  report(f: FindingDraft): void;
}

export interface FindingDraft {
  detector: string;
  swc: string;
  category: AuditCategory;
  severity: Severity;
  confidence: Confidence;
  /** Where: a node or an explicit line; `to` extends the range. */
  at: Node | number;
  to?: Node | number | undefined;
  file: string;
  contract: ContractInfo | null;
  fn: FnInfo | null;
  title: string;
  description: string;
  recommendation: string;
}

export type Detector = (ctx: DetectorContext) => void;

const SEVERITY_RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1, info: 0 };

export function collectFindings(p: Project, detectors: readonly Detector[]): Finding[] {
  const byKey = new Map<string, Finding>();
  const report = (d: FindingDraft): void => {
    const start = typeof d.at === 'number' ? d.at : line(d.at);
    const end0 = d.to === undefined ? (typeof d.at === 'number' ? d.at : endLine(d.at)) : typeof d.to === 'number' ? d.to : endLine(d.to);
    const finding: Finding = {
      swc: d.swc,
      category: d.category,
      severity: d.severity,
      confidence: d.confidence,
      line: start,
      endLine: Math.max(start, end0),
      title: d.title,
      description: d.description,
      recommendation: d.recommendation,
      file: d.file,
      detector: d.detector,
      contract: d.contract?.name ?? null,
      function: d.fn ? d.fn.name || d.fn.kind : null,
      functionLine: d.fn ? line(d.fn.node) : null,
    };
    // One finding per detector and place; the most severe reading wins.
    const key = `${d.detector}|${d.file}|${start}`;
    const prev = byKey.get(key);
    if (!prev || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[prev.severity]) byKey.set(key, finding);
    else if (prev && finding.endLine > prev.endLine && SEVERITY_RANK[finding.severity] === SEVERITY_RANK[prev.severity]) prev.endLine = finding.endLine;
  };
  for (const detect of detectors) detect({ p, report });
  return mergeOverlapping([...byKey.values()]).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/**
 * One finding per flaw: findings of one detector whose lines overlap in a file (a nested
 * operation of one expression, several calls before the same writes) become one, over the
 * union of their lines, told by the most severe of them.
 */
function mergeOverlapping(list: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of list) {
    const key = `${f.detector}|${f.file}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: Finding[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.line - b.line || b.endLine - a.endLine);
    let cur: Finding | null = null;
    for (const f of group) {
      if (cur && f.line <= cur.endLine) {
        const endLine = Math.max(cur.endLine, f.endLine);
        const line = cur.line;
        if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[cur.severity]) cur = { ...f };
        cur.line = line;
        cur.endLine = endLine;
        out[out.length - 1] = cur;
        continue;
      }
      cur = { ...f };
      out.push(cur);
    }
  }
  return out;
}

export const lower = (s: Severity): Severity => (s === 'high' ? 'medium' : s === 'medium' ? 'low' : s === 'low' ? 'info' : 'info');

/** Every (analysis context, function) pair: leaf contracts with all inherited code, each function once per leaf. */
export function* unitsOf(p: Project): Generator<{ ctx: ContractInfo; fn: FnInfo }> {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind === 'interface') continue;
    const seen = new Set<number>();
    for (const c of ctx.linear) {
      if (c.kind === 'interface') continue;
      for (const fn of [...c.functions, ...c.modifiers]) {
        if (seen.has(fn.id) || !fn.node.body) continue;
        seen.add(fn.id);
        yield { ctx, fn };
      }
    }
  }
}

export const fnLabel = (fn: FnInfo): string => (fn.name ? `${fn.contract.name}.${fn.name}` : `${fn.contract.name} ${fn.kind}`);
