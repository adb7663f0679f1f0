/**
 * Limits checked on a file's text before it reaches the parser. The parser is a recursive
 * ANTLR grammar: its time grows steeply with bracket nesting and its stack with the length of
 * one operator chain, so a small hostile file (14 KB of `(((...)))`) could hold it for minutes
 * or overflow its stack. Files beyond a limit are reported by name and not parsed; whatever
 * still slips through is stopped by the per-file time budget of the worker (see runner.ts).
 */

export interface AuditLimits {
  /** Time budget for parsing one file, and per file of a project for its analysis. @default 5000 ms */
  timeoutMs: number;
  /** Largest file parsed. @default 2,000,000 bytes (flattened sources of big protocols stay well below) */
  maxFileBytes: number;
  /** Deepest nesting of (), [] and {} together. @default 100 (audited code rarely goes past 20) */
  maxNesting: number;
  /** Most binary operators in one statement. @default 400 (audited code rarely goes past 40) */
  maxStatementOperators: number;
}

export const DEFAULT_LIMITS: AuditLimits = { timeoutMs: 5000, maxFileBytes: 2_000_000, maxNesting: 100, maxStatementOperators: 400 };

/** Limits from configuration, each missing value at its default. */
export function auditLimits(partial: Partial<AuditLimits> | undefined): AuditLimits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v) && v > 0)) };
}

const OPERATOR_CHARS = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<', '>', '?']);

/**
 * Why a file must not be parsed, or null. One linear scan that skips comments and string
 * literals; an operator run such as `<<=` or `&&` counts once.
 */
export function limitViolation(content: string, limits: AuditLimits): string | null {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > limits.maxFileBytes) return `file too large to audit (${bytes} bytes; the limit is ${limits.maxFileBytes})`;
  let depth = 0;
  let deepest = 0;
  let deepestLine = 1;
  let operators = 0;
  let statementLine = 1;
  let line = 1;
  let prevOperator = false;
  const n = content.length;
  for (let i = 0; i < n; i++) {
    const c = content[i] as string;
    if (c === '\n') {
      line++;
      prevOperator = false;
      continue;
    }
    if (c === '/' && content[i + 1] === '/') {
      while (i < n && content[i] !== '\n') i++;
      i--;
      continue;
    }
    if (c === '/' && content[i + 1] === '*') {
      i += 2;
      while (i < n && !(content[i] === '*' && content[i + 1] === '/')) {
        if (content[i] === '\n') line++;
        i++;
      }
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && content[i] !== c && content[i] !== '\n') i += content[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        deepestLine = line;
      }
      if (depth > limits.maxNesting) return `nesting too deep to audit at line ${deepestLine} (more than ${limits.maxNesting} levels of brackets)`;
    } else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    if (c === ';' || c === '{' || c === '}') {
      operators = 0;
      statementLine = line;
    }
    const isOperator = OPERATOR_CHARS.has(c) && !(c === '>' && content[i - 1] === '=');
    if (isOperator && !prevOperator) {
      operators++;
      if (operators > limits.maxStatementOperators) return `expression too long to audit in the statement at line ${statementLine} (more than ${limits.maxStatementOperators} operators)`;
    }
    prevOperator = isOperator || (prevOperator && c === '=');
  }
  return null;
}
