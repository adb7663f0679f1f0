/**
 * `defimon audit <file.sol | directory | 0xADDRESS> [--json]`. Files and directories are
 * audited without opening the database, in a worker thread with a time budget per file; an
 * address goes through the services (stored or explorer source, bytecode from chain) and the
 * result is stored. `--json` prints exactly one document, {findings, tokenRisk, score, errors,
 * incomplete}, even when the audit fails. The exit code is 1 whenever the audit has errors or
 * is incomplete, with or without --json.
 *
 * The analysis (parser, model, detectors) loads only in its worker, never on this thread.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { AuditReport, Finding } from '../../../shared/contract/audit';
import { AppError, serializeError, type ErrorCode } from '../../../shared/errors';
import { configFrom, printJson, runWithServices, withProgress } from '../runtime';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Something meant as an address: 0x and hex digits, or a bare 40-hex string; never a path on disk. */
const ADDRESS_LIKE = /^(0x[0-9a-zA-Z]*|[0-9a-fA-F]{40})$/;
const ORDER: Record<Finding['severity'], number> = { high: 0, medium: 1, low: 2, info: 3 };

interface AuditOpts {
  json?: boolean;
  force?: boolean;
  info?: boolean;
}

type Printable = Pick<AuditReport, 'findings' | 'tokenRisk' | 'score' | 'errors'> & Partial<AuditReport>;

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('audit Solidity: a .sol file, a directory of sources, or a deployed contract by address (findings, token risk, score)')
    .argument('<target>', 'a .sol file, a directory, or a 0x contract address')
    .option('--json', 'print one JSON document: {findings, tokenRisk, score, errors, incomplete}')
    .option('--force', 'address: audit again even if source and detectors are unchanged')
    .option('--info', 'also list info-level notes')
    .action(async (target: string, opts: AuditOpts, cmd: Command) => {
      // The audit's modules load with the command, not at CLI start-up.
      const { cliDocument } = await import('../../services/audit/report');
      if (ADDRESS.test(target)) await auditAddress(target, opts, cmd, cliDocument);
      else if (ADDRESS_LIKE.test(target) && !existsSync(target)) output(failed(target, 'INVALID_INPUT', `invalid address: ${target} (an address is 0x followed by 40 hex digits)`), opts, cliDocument);
      else await auditFiles(target, opts, cmd, cliDocument);
    });
}

function failed(file: string | null, code: ErrorCode, message: string): Printable {
  return { findings: [], tokenRisk: {}, score: 0, errors: [{ file, line: null, code, message }], incomplete: true };
}

type ToDocument = (report: Printable & { incomplete?: boolean }) => unknown;

async function auditFiles(target: string, opts: AuditOpts, cmd: Command, cliDocument: ToDocument): Promise<void> {
  const started = performance.now();
  let report: Printable;
  try {
    const [{ auditLimits }, { buildReport }, { analyzeOffThread }, { readSourcePath }] = await Promise.all([
      import('../../services/audit/limits'),
      import('../../services/audit/report'),
      import('../../services/audit/runner'),
      import('../../services/audit/sources'),
    ]);
    const { files } = readSourcePath(target);
    const analysis = await analyzeOffThread(files, { limits: auditLimits((await configFrom(cmd)).audit) });
    report = buildReport(analysis, { target: { kind: 'source', address: null, chainId: null, name: target }, bytecode: null, sourceVerified: true, started });
  } catch (err) {
    // Only the product's own errors carry a message meant for people.
    report = err instanceof AppError ? failed(target, err.code, err.message) : failed(target, 'INTERNAL', 'the audit could not run (internal error)');
  }
  output(report, opts, cliDocument);
}

async function auditAddress(address: string, opts: AuditOpts, cmd: Command, cliDocument: ToDocument): Promise<void> {
  let printed = false;
  await runWithServices(
    cmd,
    async (services) => {
      const stop = opts.json ? () => {} : withProgress(services, 'audit');
      try {
        const report = await services.client.call('audit.address', { address, force: opts.force ?? false });
        printed = true;
        output(report, opts, cliDocument);
      } catch (err) {
        if (!opts.json) throw err;
        printed = true;
        output(failed(null, serializeError(err).code, serializeError(err).message), opts, cliDocument);
      } finally {
        stop();
      }
    },
    // Auditing one contract must not start by importing the bundled dataset.
    { json: false, config: { autoImport: false } },
  );
  // Services could not even start: still one JSON document.
  if (opts.json && !printed) printJson(cliDocument(failed(null, 'UNAVAILABLE', 'the services could not start (see stderr)')));
}

function output(report: Printable, opts: AuditOpts, cliDocument: ToDocument): void {
  const incomplete = report.incomplete ?? report.errors.length > 0;
  if (report.errors.length > 0 || incomplete) process.exitCode = 1;
  // Each error in the CLI's one form on stderr, with --json too (reports stored before errors carried a code show INTERNAL).
  const printErrors = (): void => {
    for (const e of report.errors) process.stderr.write(`defimon: ${e.code ?? 'INTERNAL'}: ${e.file && !e.message.includes(e.file) ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : ''}${e.message}\n`);
  };
  if (opts.json) {
    printJson(cliDocument({ ...report, incomplete }));
    printErrors();
    return;
  }
  const shown = report.findings.filter((f) => opts.info || f.severity !== 'info').sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.file.localeCompare(b.file) || a.line - b.line);
  const w = (s: string): void => void process.stdout.write(`${s}\n`);
  for (const f of shown) {
    const where = `${f.file}:${f.line}${f.endLine !== f.line ? `-${f.endLine}` : ''}`;
    w(`${f.severity.toUpperCase().padEnd(6)} ${f.swc.padEnd(8)} ${f.category.padEnd(26)} ${where}  ${f.title}`);
  }
  const hidden = report.findings.length - shown.length;
  if (hidden > 0) w(`(${hidden} info notes; --info shows them)`);
  const risks = Object.entries(report.tokenRisk).filter(([, v]) => v.value === true || (typeof v.value === 'string' && v.value !== ''));
  if (risks.length > 0) {
    w('token risk:');
    for (const [k, v] of risks) w(`  ${k}: ${String(v.value)}${v.who ? ` (by ${v.who})` : ''}${v.evidence[0] ? ` — ${v.evidence[0].contract ?? ''}.${v.evidence[0].function ?? ''} ${v.evidence[0].file}:${v.evidence[0].line}` : v.note ? ` — ${v.note}` : ''}`);
  }
  if (report.bytecode) w(`bytecode: ${report.bytecode.codeSize} bytes${report.bytecode.isProxy ? `, ${report.bytecode.proxyKind} proxy -> ${report.bytecode.implementation ?? '?'}` : ''}${report.bytecode.opcodes.selfdestruct ? ', SELFDESTRUCT' : ''}${report.bytecode.opcodes.delegatecall ? ', DELEGATECALL' : ''}`);
  w(`score: ${report.score}/100${incomplete ? ' INCOMPLETE: some files could not be analysed (see errors)' : ''}${report.cached ? ' (stored; source and detectors unchanged)' : ''}`);
  for (const r of report.scoreReasoning ?? []) w(`  ${r.points > 0 ? '+' : ''}${r.points}  ${r.reason}`);
  printErrors();
}
