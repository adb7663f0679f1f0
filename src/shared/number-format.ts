/**
 * Compact number formatting ("1.2K", "3.45M") shared by the CLI and the services. The formatter is
 * made on first use: building an Intl.NumberFormat loads locale data (about 10 ms), which a
 * command that prints no such number (`defimon --help`, `info`) should not pay at start-up.
 */
let compact: Intl.NumberFormat | undefined;

/** `n` in compact notation with at most two fraction digits, e.g. 1234567 -> "1.23M". */
export function formatCompact(n: number): string {
  compact ??= new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
  return compact.format(n);
}
