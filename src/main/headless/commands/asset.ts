/** `defimon asset <SYMBOL>`: the asset page in the terminal, every value with its as-of day and source. */
import type { Command } from 'commander';
import type { AsOfValue, AssetPage } from '../../../shared/contract/ui';
import { sourceName } from '../../../shared/freshness';
import { formatCompact } from '../../../shared/number-format';
import { printJson, runWithServices } from '../runtime';

const usd = (n: number | null): string => (n === null ? '-' : Math.abs(n) >= 1000 ? `$${formatCompact(n)}` : `$${n >= 1 ? n.toFixed(2) : n.toPrecision(3)}`);
const pct = (n: number | null, digits = 1): string => (n === null ? '-' : `${n >= 0 ? '+' : ''}${(n * 100).toFixed(digits)}%`);

function valueLine(label: string, v: AsOfValue, format: (n: number | null) => string): string {
  const when = v.asOf ? `as of ${v.asOf}` : 'not known';
  const from = sourceName(v.source);
  return `  ${label.padEnd(14)}${format(v.value).padStart(12)}  ${when}${v.stale ? ' (STALE)' : ''}${from ? `, ${from}` : ''}`;
}

/** The readable page: header, values, score in words with its skill, peers. */
export function renderAssetPage(p: AssetPage): string {
  const lines = [`${p.symbol}  ${p.name}${p.category ? `  [${p.category}]` : ''}`, `data to ${p.dataEnd ?? '-'}; a value more than 30 days older is STALE`, ''];
  lines.push(
    valueLine('Price', p.values.price, usd),
    valueLine('Market cap', p.values.marketCap, usd),
    valueLine('Volume 24h', p.values.volume24h, usd),
    valueLine('TVL', p.values.tvl, usd),
    valueLine('Revenue 30d', p.values.revenue30d, usd),
    valueLine('Commits 12w', p.values.commits12w, (n) => (n === null ? '-' : String(n))),
    '',
  );
  const s = p.score;
  lines.push(`Score ${s.value === null ? '-' : s.value.toFixed(0)}/100${s.confidence !== null ? `, confidence ${(s.confidence * 100).toFixed(0)}%` : ''}${s.asOf ? ` (as of ${s.asOf})` : ''}`, `  ${s.summary}`);
  if (s.explanation.length > 0) {
    lines.push('  Drivers (effect on the predicted return relative to the median asset):');
    for (const d of s.explanation.slice(0, 8)) lines.push(`    ${`${d.effect >= 0 ? '+' : '-'}${Math.abs(d.effect * 100).toFixed(1)} pp`.padStart(9)}  ${d.label}: ${d.value}`);
  }
  const k = s.skill;
  if (k.model) {
    lines.push(
      `  Out-of-sample skill of ${k.model} (walk-forward, ${k.horizonDays ?? '-'}-day horizon, ${k.validationDays ?? '-'} days): rank IC ${k.ic === null ? '-' : k.ic.toFixed(3)}, hit rate ${k.hitRate === null ? '-' : `${(k.hitRate * 100).toFixed(0)}%`}, top-minus-bottom quintile ${pct(k.topMinusBottom)}`,
    );
    if (k.confidenceMeant) lines.push(`  ${k.confidenceMeant}`);
  }
  lines.push('', 'Peers:');
  if (p.peers.length === 0) lines.push('  none known');
  else {
    // Each value with its own day; STALE as the values above mark it.
    const dated = (v: number | null, asOf: string | null, stale: boolean): string => `${usd(v).padStart(10)} ${v === null ? '' : `${asOf ?? '-'}${stale ? ' STALE' : ''}`}`.padEnd(28);
    lines.push(`  ${'SYMBOL'.padEnd(8)}${'SIMILAR'.padStart(8)}  ${'CATEGORY'.padEnd(18)}${`${'MCAP'.padStart(10)} AS OF`.padEnd(28)}${`${'TVL'.padStart(10)} AS OF`.padEnd(28)}${'SCORE'.padStart(5)}`);
    for (const q of p.peers)
      lines.push(
        `  ${q.symbol.padEnd(8)}${(q.similarity === null ? '-' : q.similarity.toFixed(2)).padStart(8)}  ${(q.category ?? '-').slice(0, 17).padEnd(18)}${dated(q.marketCap, q.marketCapAsOf, q.marketCapStale)}${dated(q.tvl, q.tvlAsOf, q.tvlStale)}${(q.score === null ? '-' : q.score.toFixed(0)).padStart(5)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export function registerAssetCommands(program: Command): void {
  program
    .command('asset')
    .description('one asset: values with their as-of day, staleness and source; the score in plain words with the model’s skill; peers')
    .argument('<symbol>', 'ticker (any case) or chainId:0xaddress')
    .option('--json', 'print JSON')
    .action(async (symbol: string, opts: { json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const page = await services.client.call('ui.asset', { asset: symbol });
          if (opts.json) printJson(page);
          else process.stdout.write(renderAssetPage(page));
        },
        { json: opts.json ?? false },
      );
    });
}
