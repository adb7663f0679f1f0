// Contract methods and events of the collect domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const collectMethods = {} satisfies MethodMap;

export const collectEvents = {};
