// Contract methods and events of the settings domain (see the domain's issue). Add entries here only.
import type { MethodMap } from './define';

export const settingsMethods = {} satisfies MethodMap;

export const settingsEvents = {};
