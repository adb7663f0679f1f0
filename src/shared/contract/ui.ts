// Contract methods and events of the ui domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const uiMethods = {} satisfies MethodMap;

export const uiEvents = {};
