/** Stored audits: the latest report per contract, its findings as rows, and the score on smart_contracts. */
import { createHash } from 'node:crypto';
import type { AuditReport, StoredAudit } from '../../../shared/contract/audit';
import { AppError } from '../../../shared/errors';
import type { SqliteStore } from '../storage/sqlite';

export function findingKey(f: AuditReport['findings'][number]): string {
  return createHash('sha1').update(`${f.detector}|${f.file}|${f.line}|${f.endLine}|${f.title}`).digest('hex').slice(0, 20);
}

/** Replaces a contract's stored audit in one transaction: findings gone from the new report are deleted. */
export function saveAudit(store: SqliteStore, chainId: number, address: string, report: AuditReport): void {
  const now = report.auditedAt;
  const rows = report.findings.map((f) => ({
    chain_id: chainId,
    address,
    finding_key: findingKey(f),
    detector: f.detector,
    swc: f.swc,
    category: f.category,
    severity: f.severity,
    confidence: f.confidence,
    file: f.file,
    line: f.line,
    end_line: f.endLine,
    contract_name: f.contract,
    function_name: f.function,
    title: f.title,
    description: f.description,
    recommendation: f.recommendation,
    source_hash: report.sourceHash,
    detector_version: report.detectorVersion,
    audited_at: now,
  }));
  store.transaction(() => {
    const keep = new Set(rows.map((r) => r.finding_key));
    const existing = store.db.prepare<unknown[], { finding_key: string }>('SELECT finding_key FROM audit_findings WHERE chain_id = ? AND address = ?').all(chainId, address);
    const del = store.db.prepare('DELETE FROM audit_findings WHERE chain_id = ? AND address = ? AND finding_key = ?');
    for (const e of existing) if (!keep.has(e.finding_key)) del.run(chainId, address, e.finding_key);
    if (rows.length > 0) store.write('audit_findings', rows);
    store.write('audit_reports', [{ chain_id: chainId, address, source_hash: report.sourceHash, detector_version: report.detectorVersion, score: report.score, report: JSON.stringify({ ...report, cached: false }), audited_at: now }]);
    const has = store.db.prepare('SELECT 1 FROM smart_contracts WHERE chain_id = ? AND address = ?').get(chainId, address);
    store.write('smart_contracts', [
      has
        ? { chain_id: chainId, address, audit_score: report.score, audited_at: now, updated_at: now }
        : { chain_id: chainId, address, name: report.target.name, verified: report.files.length > 0 ? 1 : 0, is_proxy: report.bytecode?.isProxy ? 1 : report.bytecode ? 0 : null, implementation: report.bytecode?.implementation ?? null, audit_score: report.score, audited_at: now, updated_at: now },
    ]);
  });
}

export function loadAudit(store: SqliteStore, chainId: number, address: string): AuditReport | null {
  const row = store.db.prepare<unknown[], { report: string }>('SELECT report FROM audit_reports WHERE chain_id = ? AND address = ?').get(chainId, address);
  if (!row) return null;
  try {
    return JSON.parse(row.report) as AuditReport;
  } catch (err) {
    throw new AppError('MALFORMED_DATA', `the stored audit of ${address} is not valid JSON`, { cause: err });
  }
}

export function listAudits(store: SqliteStore, opts: { chainId?: number; address?: string; limit: number }): StoredAudit[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.address) {
    where.push('r.address = ?');
    params.push(opts.address);
  }
  if (opts.chainId !== undefined) {
    where.push('r.chain_id = ?');
    params.push(opts.chainId);
  }
  const rows = store.db
    .prepare<unknown[], { chain_id: number; address: string; score: number; audited_at: string; detector_version: string; name: string | null; high: number; medium: number; low: number; info: number }>(
      `SELECT r.chain_id, r.address, r.score, r.audited_at, r.detector_version, c.name,
        (SELECT count(*) FROM audit_findings f WHERE f.chain_id = r.chain_id AND f.address = r.address AND f.severity = 'high') AS high,
        (SELECT count(*) FROM audit_findings f WHERE f.chain_id = r.chain_id AND f.address = r.address AND f.severity = 'medium') AS medium,
        (SELECT count(*) FROM audit_findings f WHERE f.chain_id = r.chain_id AND f.address = r.address AND f.severity = 'low') AS low,
        (SELECT count(*) FROM audit_findings f WHERE f.chain_id = r.chain_id AND f.address = r.address AND f.severity = 'info') AS info
       FROM audit_reports r LEFT JOIN smart_contracts c ON c.chain_id = r.chain_id AND c.address = r.address
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.audited_at DESC LIMIT ?`,
    )
    .all(...params, opts.limit);
  return rows.map((r) => ({
    chainId: Number(r.chain_id),
    address: r.address,
    name: r.name,
    score: r.score,
    auditedAt: r.audited_at,
    detectorVersion: r.detector_version,
    findings: { high: r.high, medium: r.medium, low: r.low, info: r.info },
  }));
}
