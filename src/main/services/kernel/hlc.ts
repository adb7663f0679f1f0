/**
 * Hybrid logical clock for user data (watchlists, notes, alert rules, shared settings):
 * last-writer-wins compares these stamps as strings. Format: 13-digit ms time, 6-digit
 * counter, node id — lexicographic order equals causal order across clients.
 */
import { randomBytes } from 'node:crypto';

export interface Hlc {
  /** A stamp greater than every stamp this clock has issued or seen. */
  now(): string;
  /** Folds in a stamp received from another client. */
  observe(stamp: string): void;
  readonly nodeId: string;
}

const STAMP_RE = /^(\d{13})-(\d{6})-([0-9a-z]+)$/;

export function parseHlc(stamp: string): { ms: number; counter: number; node: string } | null {
  const m = STAMP_RE.exec(stamp);
  if (!m) return null;
  return { ms: Number(m[1]), counter: Number(m[2]), node: m[3] as string };
}

export function formatHlc(ms: number, counter: number, node: string): string {
  return `${String(ms).padStart(13, '0')}-${String(counter).padStart(6, '0')}-${node}`;
}

export function createHlc(nodeId: string = randomBytes(6).toString('hex'), wallClock: () => number = Date.now): Hlc {
  let lastMs = 0;
  let counter = 0;
  return {
    nodeId,
    now() {
      const wall = wallClock();
      if (wall > lastMs) {
        lastMs = wall;
        counter = 0;
      } else counter++;
      return formatHlc(lastMs, counter, nodeId);
    },
    observe(stamp) {
      const p = parseHlc(stamp);
      if (!p) return;
      if (p.ms > lastMs || (p.ms === lastMs && p.counter > counter)) {
        lastMs = p.ms;
        counter = p.counter;
      }
    },
  };
}
