// Contract methods and events of the sync domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const syncMethods = {} satisfies MethodMap;

export const syncEvents = {};
