export type Dialect = 'sqlite' | 'postgres';

/**
 * One entry of the append-only ledger. A shipped migration is never edited: its checksum is
 * recorded when applied and checked at every start. `sqlite` / `postgres` hold statements that
 * must differ per dialect (triggers, sequences); the logical schema must stay the same.
 */
export interface Migration {
  readonly id: string;
  readonly statements: readonly string[];
  readonly sqlite?: readonly string[];
  readonly postgres?: readonly string[];
}
