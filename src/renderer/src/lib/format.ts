/** Number and date formatting for analysts: compact USD, signed percentages, UTC dates. */
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const compactCount = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

const missing = (n: number | null | undefined): n is null | undefined => n === null || n === undefined || !Number.isFinite(n);

export function formatUsd(n: number | null | undefined): string {
  if (missing(n)) return '—';
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (abs >= 1000) return `${sign}$${compact.format(abs)}`;
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`;
  if (abs === 0) return '$0';
  return `${sign}$${abs.toPrecision(3)}`;
}

/** A fraction as a signed percentage: 0.052 → "+5.2%". */
export function formatPct(n: number | null | undefined, digits = 1): string {
  if (missing(n)) return '—';
  const v = n * 100;
  const text = v.toFixed(digits);
  // "-0.0" reads as a fall; a rounded zero is unsigned.
  if (Number(text) === 0) return `${(0).toFixed(digits)}%`;
  return `${v > 0 ? '+' : ''}${text}%`;
}

/** A fraction as an unsigned share: 0.45 → "45%". */
export function formatShare(n: number | null | undefined, digits = 0): string {
  if (missing(n)) return '—';
  return `${(n * 100).toFixed(digits)}%`;
}

export function formatCount(n: number | null | undefined): string {
  if (missing(n)) return '—';
  return Math.abs(n) >= 10_000 ? compactCount.format(n) : String(Math.round(n));
}

export function formatScore(n: number | null | undefined): string {
  if (missing(n)) return '—';
  return n.toFixed(0);
}

export function formatDay(day: string | null | undefined): string {
  return day ?? '—';
}

/** An ISO timestamp as "YYYY-MM-DD HH:MM UTC". */
export function formatUtc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatByUnit(n: number | null | undefined, unit: 'usd' | 'count' | 'score' | 'ratio'): string {
  switch (unit) {
    case 'usd':
      return formatUsd(n);
    case 'count':
      return formatCount(n);
    case 'score':
      return formatScore(n);
    case 'ratio':
      return formatShare(n, 1);
  }
}

/**
 * A request rate in the unit that reads as a small whole number: "5/s" at one a second or more,
 * "30/min" below (0.5/s), "40/h" below one a minute; at most three significant digits.
 */
export function formatRate(perSec: number | null | undefined): string {
  if (missing(perSec)) return '—';
  if (perSec <= 0) return '0/s';
  const round = (v: number): string => String(Number(v.toPrecision(v >= 100 ? 4 : 3)));
  if (perSec >= 1) return `${round(perSec)}/s`;
  if (perSec * 60 >= 1) return `${round(perSec * 60)}/min`;
  return `${round(perSec * 3600)}/h`;
}

/** A service check's state: a service nobody configured is "not configured", never "ok". */
export function serviceState(check: { ok: boolean; configured: boolean }): 'ok' | 'failing' | 'not configured' {
  if (!check.configured) return 'not configured';
  return check.ok ? 'ok' : 'failing';
}
