/**
 * The analyst's watchlists, notes and alert rules. Every change goes through `store.write` with a
 * fresh HLC stamp so the sync outbox carries it; deletes are tombstones (deleted = 1).
 */
import { randomUUID } from 'node:crypto';
import type { Alert, AlertKind, AlertRule, Note } from '../../../shared/contract/ui';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { MARKET_SOURCE_RANK, requireAsset } from '../assets/api';
import { highFindingsFor } from '../audit/api';
import { headlineVersion, latestScores } from '../ml/api';

interface NoteRow {
  note_id: string;
  asset_id: string;
  body: string;
  created_at: string;
  updated_at: string;
}
interface RuleRow {
  rule_id: string;
  asset_id: string;
  kind: AlertKind;
  threshold: number | null;
  enabled: number;
  created_at: string;
}

const toNote = (r: NoteRow): Note => ({ noteId: r.note_id, assetId: r.asset_id, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at });
const toRule = (r: RuleRow): AlertRule => ({ ruleId: r.rule_id, assetId: r.asset_id, kind: r.kind, threshold: r.threshold, enabled: Number(r.enabled) !== 0, createdAt: r.created_at });

export function createUserData(core: Core) {
  const { store, clock } = core;

  function watchlist(name: string): { assetId: string; addedAt: string }[] {
    return store.db.prepare<[string], { asset_id: string; added_at: string }>('SELECT asset_id, added_at FROM watchlist_items WHERE watchlist = ? AND deleted = 0 ORDER BY added_at, asset_id').all(name).map((r) => ({
      assetId: r.asset_id,
      addedAt: r.added_at,
    }));
  }

  function watch(name: string, assetId: string, watched: boolean): { assetId: string; watched: boolean } {
    requireAsset(store, assetId);
    const existing = store.db.prepare<[string, string], { added_at: string; deleted: number }>('SELECT added_at, deleted FROM watchlist_items WHERE watchlist = ? AND asset_id = ?').get(name, assetId);
    const isWatched = existing !== undefined && Number(existing.deleted) === 0;
    if (isWatched === watched) return { assetId, watched };
    const addedAt = watched || !existing ? new Date().toISOString() : existing.added_at;
    store.write('watchlist_items', [{ watchlist: name, asset_id: assetId, added_at: addedAt, hlc: clock.now(), deleted: watched ? 0 : 1 }]);
    return { assetId, watched };
  }

  function notes(assetId: string): Note[] {
    requireAsset(store, assetId);
    return store.db.prepare<[string], NoteRow>('SELECT * FROM notes WHERE asset_id = ? AND deleted = 0 ORDER BY updated_at DESC, note_id').all(assetId).map(toNote);
  }

  function saveNote(input: { noteId?: string | undefined; assetId: string; body: string }): Note {
    requireAsset(store, input.assetId);
    const now = new Date().toISOString();
    let createdAt = now;
    if (input.noteId !== undefined) {
      const old = store.db.prepare<[string], { asset_id: string; created_at: string; deleted: number }>('SELECT asset_id, created_at, deleted FROM notes WHERE note_id = ?').get(input.noteId);
      if (!old || Number(old.deleted) !== 0) throw new AppError('NOT_FOUND', `no note ${input.noteId}`);
      if (old.asset_id !== input.assetId) throw new AppError('CONFLICT', `note ${input.noteId} belongs to ${old.asset_id}, not ${input.assetId}`);
      createdAt = old.created_at;
    }
    const noteId = input.noteId ?? randomUUID();
    store.write('notes', [{ note_id: noteId, asset_id: input.assetId, body: input.body, created_at: createdAt, updated_at: now, hlc: clock.now(), deleted: 0 }]);
    return { noteId, assetId: input.assetId, body: input.body, createdAt, updatedAt: now };
  }

  function tombstone(table: 'notes' | 'alert_rules', keyColumn: 'note_id' | 'rule_id', id: string): boolean {
    const row = store.db.prepare<[string], Record<string, unknown>>(`SELECT * FROM ${table} WHERE ${keyColumn} = ?`).get(id);
    if (!row || Number(row.deleted) !== 0) return false;
    // The whole row, not just the flag: the outbox then carries a complete tombstone.
    store.write(table, [{ ...row, deleted: 1, updated_at: new Date().toISOString(), hlc: clock.now() }]);
    return true;
  }

  function rules(assetId?: string): AlertRule[] {
    const rows =
      assetId === undefined
        ? store.db.prepare<[], RuleRow>('SELECT * FROM alert_rules WHERE deleted = 0 ORDER BY created_at, rule_id').all()
        : store.db.prepare<[string], RuleRow>('SELECT * FROM alert_rules WHERE deleted = 0 AND asset_id = ? ORDER BY created_at, rule_id').all(assetId);
    return rows.map(toRule);
  }

  function saveRule(input: { ruleId?: string | undefined; assetId: string; kind: AlertKind; threshold: number | null; enabled: boolean }): AlertRule {
    requireAsset(store, input.assetId);
    const now = new Date().toISOString();
    let createdAt = now;
    if (input.ruleId !== undefined) {
      const old = store.db.prepare<[string], { created_at: string; deleted: number }>('SELECT created_at, deleted FROM alert_rules WHERE rule_id = ?').get(input.ruleId);
      if (!old || Number(old.deleted) !== 0) throw new AppError('NOT_FOUND', `no alert rule ${input.ruleId}`);
      createdAt = old.created_at;
    }
    const ruleId = input.ruleId ?? randomUUID();
    const threshold = input.kind === 'audit_high' ? null : input.threshold;
    store.write('alert_rules', [
      { rule_id: ruleId, asset_id: input.assetId, kind: input.kind, threshold, enabled: input.enabled ? 1 : 0, created_at: createdAt, updated_at: now, hlc: clock.now(), deleted: 0 },
    ]);
    return { ruleId, assetId: input.assetId, kind: input.kind, threshold, enabled: input.enabled, createdAt };
  }

  /** The two latest daily closes of an asset (preferred source per day). */
  function lastTwoCloses(assetId: string): { day: string; close: number }[] {
    return store.db
      .prepare<[string, string], { day: string; close: number }>(
        `SELECT day, close FROM (
           SELECT day, close, ROW_NUMBER() OVER (PARTITION BY day ORDER BY ${MARKET_SOURCE_RANK}) AS rn
           FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL AND day >= (SELECT date(MAX(day), '-7 day') FROM financial_metrics WHERE asset_id = ?)
         ) WHERE rn = 1 ORDER BY day DESC LIMIT 2`,
      )
      .all(assetId, assetId);
  }

  function alerts(): Alert[] {
    const version = headlineVersion(store);
    const out: Alert[] = [];
    for (const rule of rules()) {
      if (!rule.enabled) continue;
      const base = { ruleId: rule.ruleId, assetId: rule.assetId, kind: rule.kind };
      if (rule.kind === 'price_move' && rule.threshold !== null) {
        const [now, prev] = lastTwoCloses(rule.assetId);
        if (!now || !prev || prev.close <= 0) continue;
        const move = now.close / prev.close - 1;
        if (Math.abs(move) > rule.threshold) {
          out.push({ ...base, key: `${rule.ruleId}:${now.day}`, day: now.day, message: `${rule.assetId} moved ${(move * 100).toFixed(1)}% on ${now.day} (rule: more than ${Number((rule.threshold * 100).toPrecision(3))}%)` });
        }
      } else if ((rule.kind === 'score_above' || rule.kind === 'score_below') && rule.threshold !== null && version !== null) {
        const [now, prev] = latestScores(store, version, rule.assetId, 2);
        if (!now) continue;
        const level = rule.threshold;
        // A crossing: the latest score is past the level and the one before was not (or there was none).
        const crossed = rule.kind === 'score_above' ? now.score >= level && (!prev || prev.score < level) : now.score <= level && (!prev || prev.score > level);
        if (crossed) {
          out.push({ ...base, key: `${rule.ruleId}:${now.day}`, day: now.day, message: `${rule.assetId} score ${now.score.toFixed(0)} crossed ${rule.kind === 'score_above' ? 'above' : 'below'} ${level} on ${now.day}` });
        }
      } else if (rule.kind === 'audit_high') {
        for (const f of highFindingsFor(store, rule.assetId, requireAsset(store, rule.assetId))) {
          out.push({ ...base, key: `${rule.ruleId}:${f.key}`, day: f.at ? f.at.slice(0, 10) : null, message: `${rule.assetId}: high-severity audit finding — ${f.title}` });
        }
      }
    }
    return out;
  }

  return { watchlist, watch, notes, saveNote, deleteNote: (id: string) => tombstone('notes', 'note_id', id), rules, saveRule, deleteRule: (id: string) => tombstone('alert_rules', 'rule_id', id), alerts };
}
