export type Dialect = 'sqlite' | 'postgres';

/** A table or column that a migration removes or retypes on purpose (see `schema-guard.ts`). */
export interface Retirement {
  readonly table: string;
  /** Omitted: the whole table is retired. */
  readonly column?: string;
  /** Why, for the reader of the ledger: what replaced it, who no longer reads it. */
  readonly reason: string;
}

/**
 * One entry of the append-only ledger. A shipped migration is never edited: its checksum is
 * recorded when applied and checked at every start. `sqlite` / `postgres` hold statements that
 * must differ per dialect (triggers, sequences); the logical schema must stay the same.
 *
 * `id` is `NNNN_domain_what`: the four digits are the global sequence (see `sequenceOf`), one
 * more than the highest in the ledger, whatever the domain.
 */
export interface Migration {
  readonly id: string;
  readonly statements: readonly string[];
  readonly sqlite?: readonly string[];
  readonly postgres?: readonly string[];
  /**
   * Columns or tables this migration drops or retypes. The schema guard refuses a destructive
   * change that is not declared here. Not part of the checksum: declaring an old retirement
   * does not edit a shipped migration.
   */
  readonly retires?: readonly Retirement[];
}
