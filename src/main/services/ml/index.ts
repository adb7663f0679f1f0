/** The ml domain: its services and its share of the contract's handlers. */
import type { mlMethods } from '../../../shared/contract/ml';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface MlDomain {
  handlers: HandlersFor<typeof mlMethods>;
}

export function createMlDomain(_core: Core): MlDomain {
  return { handlers: {} };
}
