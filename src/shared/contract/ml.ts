// Contract methods and events of the ml domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const mlMethods = {} satisfies MethodMap;

export const mlEvents = {};
