/**
 * The UI's read models by method: pure functions of the database and the call's input. The same
 * table serves the read-model worker (off the request thread) and the inline path (in-memory
 * databases, or the worker switched off).
 */
import type { MethodName, ParsedInput } from '../../../shared/contract';
import type { SqliteStore } from '../storage/sqlite';
import { assetPage, peersOf, scoreOutcomes } from './asset';
import { coverage } from './coverage';
import { assetContracts, modelViews, overview } from './overview';
import { seriesOf } from './series';

type In<M extends MethodName> = ParsedInput<M>;

export const READ_MODELS = {
  'ui.overview': (store: SqliteStore, q: In<'ui.overview'>) => overview(store, q),
  'ui.series': (store: SqliteStore, q: In<'ui.series'>) => seriesOf(store, q),
  'ui.models': (store: SqliteStore, q: In<'ui.models'>) => modelViews(store, q.assetId),
  'ui.competitors': (store: SqliteStore, q: In<'ui.competitors'>) => peersOf(store, q.assetId, q.limit),
  'ui.asset': (store: SqliteStore, q: In<'ui.asset'>) => assetPage(store, q.asset, q.staleAfterDays),
  'ui.scoreOutcomes': (store: SqliteStore, q: In<'ui.scoreOutcomes'>) => scoreOutcomes(store, q.assetId),
  'ui.coverage': (store: SqliteStore, q: In<'ui.coverage'>) => coverage(store, q),
  'ui.contracts': (store: SqliteStore, q: In<'ui.contracts'>) => assetContracts(store, q.assetId),
} as const;

export type ReadModelMethod = keyof typeof READ_MODELS;
export type ReadModelOutput<M extends ReadModelMethod> = ReturnType<(typeof READ_MODELS)[M]>;

export function computeReadModel<M extends ReadModelMethod>(store: SqliteStore, method: M, input: In<M>): ReadModelOutput<M> {
  // The table is indexed by the same method as the input type: TypeScript cannot correlate the two.
  const model = READ_MODELS[method] as unknown as (store: SqliteStore, input: In<M>) => ReadModelOutput<M>;
  return model(store, input);
}

export const isReadModel = (method: string): method is ReadModelMethod => Object.hasOwn(READ_MODELS, method);
