/** The assets domain: the asset list, one asset, and its price history (`assets.*`); other domains use `./api`. */
import type { assetMethods } from '../../../shared/contract/assets';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { getAsset, listAssets, priceHistory } from './queries';

export interface AssetsDomain {
  handlers: Omit<HandlersFor<typeof assetMethods>, 'dataset.import'>;
}

export function createAssetsDomain(core: Core): AssetsDomain {
  const { store } = core;
  return {
    handlers: {
      'assets.list': (input) => listAssets(store, input),
      'assets.get': ({ assetId }) => getAsset(store, assetId),
      'assets.prices': (input) => priceHistory(store, input),
    },
  };
}
