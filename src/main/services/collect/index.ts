/** The collect domain: its services and its share of the contract's handlers. */
import type { collectMethods } from '../../../shared/contract/collect';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface CollectDomain {
  handlers: HandlersFor<typeof collectMethods>;
}

export function createCollectDomain(_core: Core): CollectDomain {
  return { handlers: {} };
}
