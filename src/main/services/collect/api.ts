/**
 * What other domains may use from the collectors: the explorer's verified-source fetch and chain
 * reads by address (audits of an address). Add here, not a deep import, when another domain
 * needs a collector's client.
 */
import type { Core } from '../core';
import { collectDomainOf } from './index';
import type { ChainReader } from './jsonrpc';

export { fetchVerifiedContract } from './explorer';
/** Competitor similarity from descriptions (embeddings with a token, else TF-IDF; `offline` forces TF-IDF). */
export { collectSimilarity } from './similarity';
export type { ChainReader } from './jsonrpc';

/**
 * Code, storage and calls by address through the collectors' RPC client (its rate limiter,
 * retry policy and error taxonomy); null when no RPC URL is configured.
 */
export function chainReaderFor(core: Core): ChainReader | null {
  return collectDomainOf(core).chainReader();
}
