/** The sync domain: its services and its share of the contract's handlers. */
import type { syncMethods } from '../../../shared/contract/sync';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface SyncDomain {
  handlers: HandlersFor<typeof syncMethods>;
}

export function createSyncDomain(_core: Core): SyncDomain {
  return { handlers: {} };
}
