/**
 * The migration ledger, in order. Append only: add a new file with the next free number of
 * your domain's block and list it here; never edit or remove a shipped entry.
 * Blocks: 0001-0099 foundation, 0100 collectors, 0200 models, 0300 audits, 0400 sync,
 * 0500 UI (watchlists, notes, alerts), 0600 desktop shell.
 */
import { m0001Core } from './0001_core';
import { m0100Collect } from './0100_collect';
import { m0400Sync } from './0400_sync';
import { m0401SyncBatches } from './0401_sync_batches';
import { m0402SyncBatchText } from './0402_sync_batch_text';
import { m0500UiUserData } from './0500_ui_user_data';
import { m0200MlRegistry } from './0200_ml_registry';
import { m0300Audit } from './0300_audit';
import type { Migration } from './types';

export const migrations: readonly Migration[] = [m0001Core, m0100Collect, m0400Sync, m0401SyncBatches, m0402SyncBatchText, m0500UiUserData, m0200MlRegistry, m0300Audit];

export type { Dialect, Migration } from './types';
