/** The audit domain: its services and its share of the contract's handlers. */
import type { auditMethods } from '../../../shared/contract/audit';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface AuditDomain {
  handlers: HandlersFor<typeof auditMethods>;
}

export function createAuditDomain(_core: Core): AuditDomain {
  return { handlers: {} };
}
