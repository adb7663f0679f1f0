/** The ui domain: read models for the analyst's views, and the analyst's own data. */
import type { uiMethods } from '../../../shared/contract/ui';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { assetPage, peersOf, scoreOutcomes } from './asset';
import { assetContracts, modelViews, overview } from './overview';
import { coverage } from './coverage';
import { createReadCache } from './read-cache';
import { seriesOf } from './series';
import { createUserData } from './user-data';

export interface UiDomain {
  handlers: HandlersFor<typeof uiMethods>;
}

export function createUiDomain(core: Core): UiDomain {
  const { store } = core;
  const user = createUserData(core);
  // The read models are computed once per data version, not once per request.
  const cache = createReadCache(store, { enabled: core.config.readCache });
  return {
    handlers: {
      'ui.overview': (q) => cache.get('ui.overview', q, () => overview(store, q)),
      'ui.series': (q) => cache.get('ui.series', q, () => seriesOf(store, q)),
      'ui.models': ({ assetId }) => cache.get('ui.models', assetId, () => modelViews(store, assetId)),
      'ui.competitors': ({ assetId, limit }) => cache.get('ui.competitors', [assetId, limit], () => peersOf(store, assetId, limit)),
      'ui.asset': ({ asset, staleAfterDays }) => cache.get('ui.asset', [asset, staleAfterDays], () => assetPage(store, asset, staleAfterDays)),
      'ui.scoreOutcomes': ({ assetId }) => cache.get('ui.scoreOutcomes', assetId, () => scoreOutcomes(store, assetId)),
      'ui.coverage': (q) => cache.get('ui.coverage', q, () => coverage(store, q)),
      'ui.contracts': ({ assetId }) => cache.get('ui.contracts', assetId, () => assetContracts(store, assetId)),
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
