/**
 * The migration ledger, in the order it is applied. Append only: a new migration takes the next
 * number of the global sequence (the highest id's four digits + 1, whatever the domain), gets a
 * file here and goes at the END of this list. Never edit, renumber or remove a shipped entry;
 * `shipped.json` lists them and test/foundation/migrations.test.ts checks both rules.
 * (Ids up to 0500 were numbered in per-domain blocks; that scheme is retired. See ../README.md.)
 */
import { m0001Core } from './0001_core';
import { m0100Collect } from './0100_collect';
import { m0200MlRegistry } from './0200_ml_registry';
import { m0300Audit } from './0300_audit';
import { m0400Sync } from './0400_sync';
import { m0401SyncBatches } from './0401_sync_batches';
import { m0402SyncBatchText } from './0402_sync_batch_text';
import { m0500UiUserData } from './0500_ui_user_data';
import { m0501AssetsDefillamaBundled } from './0501_assets_defillama_bundled';
import { m0502MlModelCompleteness } from './0502_ml_model_completeness';
import { m0503MarketLatestKnown } from './0503_market_latest_known';
import { m0504SyncBatchCopy } from './0504_sync_batch_copy';
import type { Migration } from './types';

export const migrations: readonly Migration[] = [m0001Core, m0100Collect, m0200MlRegistry, m0300Audit, m0400Sync, m0401SyncBatches, m0402SyncBatchText, m0500UiUserData, m0501AssetsDefillamaBundled, m0502MlModelCompleteness, m0503MarketLatestKnown, m0504SyncBatchCopy];

export type { Dialect, Migration, Retirement } from './types';
