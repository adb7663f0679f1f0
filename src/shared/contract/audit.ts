// Contract methods and events of the audit domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const auditMethods = {} satisfies MethodMap;

export const auditEvents = {};
