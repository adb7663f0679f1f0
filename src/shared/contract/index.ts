/**
 * The contract: every method's name with its zod input and output schemas, and every event's
 * payload. The preload bridge, IPC registration, HTTP routes, renderer client and CLI calls are
 * all derived from this one object. Each domain owns one file; this file only joins them.
 */
import type { z } from 'zod';
import { assetEvents, assetMethods } from './assets';
import { auditEvents, auditMethods } from './audit';
import { collectEvents, collectMethods } from './collect';
import { mlEvents, mlMethods } from './ml';
import { settingsEvents, settingsMethods } from './settings';
import { syncEvents, syncMethods } from './sync';
import { systemEvents, systemMethods } from './system';
import { uiEvents, uiMethods } from './ui';

export const contract = {
  ...systemMethods,
  ...assetMethods,
  ...collectMethods,
  ...mlMethods,
  ...auditMethods,
  ...syncMethods,
  ...settingsMethods,
  ...uiMethods,
};

export const events = {
  ...systemEvents,
  ...assetEvents,
  ...collectEvents,
  ...mlEvents,
  ...auditEvents,
  ...syncEvents,
  ...settingsEvents,
  ...uiEvents,
};

export type Contract = typeof contract;
export type MethodName = keyof Contract & string;
export type Input<M extends MethodName> = z.input<Contract[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type Output<M extends MethodName> = z.output<Contract[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events & string;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const methodNames = Object.keys(contract) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../ipc';

export { method } from './define';
export type { MethodDef, MethodMap } from './define';
