/** The ui domain: its services and its share of the contract's handlers. */
import type { uiMethods } from '../../../shared/contract/ui';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface UiDomain {
  handlers: HandlersFor<typeof uiMethods>;
}

export function createUiDomain(_core: Core): UiDomain {
  return { handlers: {} };
}
