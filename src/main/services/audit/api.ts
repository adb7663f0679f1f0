/**
 * What other domains may read from the audits (the UI's alerts). audit_reports and
 * audit_findings belong to this domain; nobody else queries them.
 */
import { PROTOCOL_MATCH, type AssetRef } from '../assets/api';
import type { SqliteStore } from '../storage/sqlite';

/**
 * High-severity findings stored for an asset's contracts: its token, and contracts registered to
 * it by asset id or by its protocol's name (as the overview counts them), oldest first.
 */
export function highFindingsFor(store: SqliteStore, assetId: string, asset: AssetRef): { key: string; title: string; at: string | null }[] {
  const rows = store.db
    .prepare<[number, string, string, string], { chain_id: number; address: string; finding_key: string; title: string; audited_at: string | null }>(
      `SELECT f.chain_id, f.address, f.finding_key, f.title, f.audited_at FROM audit_findings f
       WHERE f.severity IN ('high', 'critical')
         AND ((f.chain_id = ? AND f.address = ?)
           OR EXISTS (SELECT 1 FROM smart_contracts c, (SELECT ? AS name, ? AS id) a
                      WHERE c.chain_id = f.chain_id AND c.address = f.address
                        AND (c.asset_id = a.id OR (c.asset_id IS NULL AND ${PROTOCOL_MATCH}))))
       ORDER BY f.audited_at, f.address, f.finding_key`,
    )
    .all(asset.chain_id ?? -1, asset.address ?? '', asset.name, assetId);
  return rows.map((r) => ({ key: `${r.chain_id}:${r.address}:${r.finding_key}`, title: r.title, at: r.audited_at }));
}
