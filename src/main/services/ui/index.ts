/** The ui domain: read models for the analyst's views, and the analyst's own data. */
import type { ParsedInput } from '../../../shared/contract';
import type { uiMethods } from '../../../shared/contract/ui';
import type { Core } from '../core';
import type { CallContext, HandlersFor } from '../rpc/dispatch';
import { createReadCache } from './read-cache';
import { computeReadModel, type ReadModelMethod, type ReadModelOutput } from './read-models';
import { createReadPool } from './read-pool';
import { createUserData } from './user-data';

export interface UiDomain {
  handlers: HandlersFor<typeof uiMethods>;
}

export function createUiDomain(core: Core): UiDomain {
  const { store } = core;
  const user = createUserData(core);
  // The read models are computed once per data version, not once per request.
  const cache = createReadCache(store, { enabled: core.config.readCache });
  // Computing one runs in a worker thread with its own read-only connection (an in-memory
  // database has no file to share: computed here).
  const pool = core.config.readWorker && store.path !== ':memory:' ? createReadPool(store.path, core.log) : null;
  if (pool) core.onShutdown(() => pool.close());
  const read =
    <M extends ReadModelMethod>(method: M) =>
    (q: ParsedInput<M>, ctx?: CallContext): Promise<ReadModelOutput<M>> =>
      cache.get(
        method,
        q,
        (signal) => {
          const here = (): ReadModelOutput<M> => computeReadModel(store, method, q);
          return pool ? pool.compute(method, q, here, signal) : here();
        },
        ctx?.signal,
      );
  return {
    handlers: {
      'ui.overview': read('ui.overview'),
      'ui.series': read('ui.series'),
      'ui.models': read('ui.models'),
      'ui.competitors': read('ui.competitors'),
      'ui.asset': read('ui.asset'),
      'ui.scoreOutcomes': read('ui.scoreOutcomes'),
      'ui.coverage': read('ui.coverage'),
      'ui.contracts': read('ui.contracts'),
      'ui.watchlist': ({ name }) => user.watchlist(name),
      'ui.watch': ({ name, assetId, watched }) => user.watch(name, assetId, watched),
      'ui.notes': ({ assetId }) => user.notes(assetId),
      'ui.noteSave': (input) => user.saveNote(input),
      'ui.noteDelete': ({ noteId }) => ({ deleted: user.deleteNote(noteId) }),
      'ui.alertRules': ({ assetId }) => user.rules(assetId),
      'ui.alertRuleSave': (input) => user.saveRule(input),
      'ui.alertRuleDelete': ({ ruleId }) => ({ deleted: user.deleteRule(ruleId) }),
      'ui.alerts': () => user.alerts(),
    },
  };
}
