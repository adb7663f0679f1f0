/**
 * "No network" detected once, not retried hundreds of times. A collector run that fails because
 * a host cannot be resolved or reached (DNS failure, connection refused, network unreachable —
 * not a provider's error answer) turns the collectors offline: the scheduler stops starting runs
 * and one probe (a HEAD request to the host that failed) is sent every `collect.offlineProbeSec`
 * instead. The first probe that gets any HTTP answer turns them online again and pokes every
 * scheduled source. Offline and back online are each logged once; `collect.status` reports it.
 */
import type { Core } from '../core';
import { isNoNetworkError } from '../kernel/retry';

export interface NetworkState {
  online: boolean;
  /** When the collectors went offline (null while online). */
  since: string | null;
  /** What failed, without the URL (which may hold a key). */
  reason: string | null;
  nextProbeAt: string | null;
  probes: number;
}

export interface NetworkMonitor {
  readonly online: boolean;
  state(): NetworkState;
  /** A run failed: when it was "no network", go offline and start probing `probeUrl`. Returns true when it was. */
  noteFailure(err: unknown, probeUrl: string | null): boolean;
  /** A run succeeded: the network is there. */
  noteSuccess(): void;
  /** Called with true when the network comes back (the scheduler pokes its sources). */
  onChange(fn: (online: boolean) => void): () => void;
  stop(): void;
}

export function createNetworkMonitor(core: Pick<Core, 'config' | 'log' | 'ports'>): NetworkMonitor {
  const st: NetworkState = { online: true, since: null, reason: null, nextProbeAt: null, probes: 0 };
  const listeners = new Set<(online: boolean) => void>();
  let timer: NodeJS.Timeout | null = null;
  let probeUrl: string | null = null;
  const everyMs = core.config.collect.offlineProbeSec * 1000;

  const set = (online: boolean): void => {
    if (st.online === online) return;
    st.online = online;
    if (online) {
      core.log.warn({ offlineSince: st.since, probes: st.probes }, 'network is back; collection resumes');
      st.since = null;
      st.reason = null;
      st.nextProbeAt = null;
      if (timer) clearTimeout(timer);
      timer = null;
    } else {
      st.since = new Date().toISOString();
      core.log.warn({ reason: st.reason, probeEverySec: everyMs / 1000 }, 'no network: scheduled collection paused, probing slowly');
    }
    for (const fn of listeners) fn(online);
  };

  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    st.nextProbeAt = new Date(Date.now() + everyMs).toISOString();
    timer = setTimeout(() => void probe(), everyMs);
    timer.unref();
  };

  async function probe(): Promise<void> {
    timer = null;
    if (st.online || probeUrl === null) return;
    st.probes++;
    const doFetch = core.ports.fetch ?? fetch;
    try {
      // Any HTTP answer, even an error status, means the network is there.
      await doFetch(probeUrl, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
      set(true);
    } catch (err) {
      core.log.debug({ err: (err as Error).message }, 'offline probe failed');
      schedule();
    }
  }

  return {
    get online() {
      return st.online;
    },
    state: () => ({ ...st }),
    noteFailure(err, url) {
      if (!isNoNetworkError(err)) return false;
      probeUrl = url;
      if (st.online) {
        st.reason = (err as Error).message.replace(/https?:\/\/\S+/g, '[url]');
        set(false);
      }
      if (!timer) schedule();
      return true;
    },
    noteSuccess() {
      set(true);
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
