/** The settings domain: its services and its share of the contract's handlers. */
import type { settingsMethods } from '../../../shared/contract/settings';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';

export interface SettingsDomain {
  handlers: HandlersFor<typeof settingsMethods>;
}

export function createSettingsDomain(_core: Core): SettingsDomain {
  return { handlers: {} };
}
