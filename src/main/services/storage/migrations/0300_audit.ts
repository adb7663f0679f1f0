import type { Migration } from './types';

/**
 * Contract audits: one row per finding of the latest audit of a contract, and the latest full
 * report with the source hash and detector version it was made from (a re-audit happens only
 * when either changes). Score and time also go to smart_contracts.audit_score / audited_at.
 */
export const m0300Audit: Migration = {
  id: '0300_audit',
  statements: [
    `CREATE TABLE audit_findings (
      chain_id BIGINT NOT NULL,
      address TEXT NOT NULL,
      finding_key TEXT NOT NULL,
      detector TEXT NOT NULL,
      swc TEXT,
      category TEXT NOT NULL,
      severity TEXT NOT NULL,
      confidence TEXT NOT NULL,
      file TEXT,
      line BIGINT,
      end_line BIGINT,
      contract_name TEXT,
      function_name TEXT,
      title TEXT NOT NULL,
      description TEXT,
      recommendation TEXT,
      source_hash TEXT NOT NULL,
      detector_version TEXT NOT NULL,
      audited_at TEXT NOT NULL,
      PRIMARY KEY (chain_id, address, finding_key)
    )`,
    `CREATE INDEX audit_findings_by_severity ON audit_findings (chain_id, address, severity)`,
    `CREATE TABLE audit_reports (
      chain_id BIGINT NOT NULL,
      address TEXT NOT NULL,
      source_hash TEXT NOT NULL,
      detector_version TEXT NOT NULL,
      score DOUBLE PRECISION NOT NULL,
      report TEXT NOT NULL,
      audited_at TEXT NOT NULL,
      PRIMARY KEY (chain_id, address)
    )`,
  ],
};
