/**
 * What other domains may use from the collectors: the explorer's verified-source fetch (audits
 * of an address). Add here, not a deep import, when another domain needs a collector's client.
 */
export { fetchVerifiedContract } from './explorer';
