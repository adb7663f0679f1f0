/**
 * A synthetic panel with a planted, causal signal: each asset's volume relative to its market
 * cap follows a slow AR(1) process, and the next day's return drifts with it. Everything else is
 * noise. Some assets have TVL, some development activity, the rest lack those families.
 */
import { dayRange, emptyPanel, type RawPanel } from '../../src/main/services/ml/panel';
import { createRng } from '../../src/main/services/ml/math';

export function syntheticPanel(opts: { assets?: number; days?: number; seed?: number; drift?: number } = {}): RawPanel {
  const nA = opts.assets ?? 40;
  const nD = opts.days ?? 500;
  const drift = opts.drift ?? 0.003;
  const rand = createRng(opts.seed ?? 1);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const days = dayRange('2021-01-04', '2021-01-04');
  for (let i = 1; i < nD; i++) days.push(new Date(Date.parse('2021-01-04T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10));
  const assets = Array.from({ length: nA }, (_, a) => `A${a}`);
  const p = emptyPanel(days, assets);
  for (let a = 0; a < nA; a++) {
    // Listings are staggered: the first assets trade from day 0, later ones join.
    const start = a < nA / 2 ? 0 : Math.floor(rand() * 120);
    let price = 1 + rand() * 10;
    let v = gauss();
    const supply = 1e6 * (1 + rand() * 100);
    for (let t = start; t < nD; t++) {
      v = 0.97 * v + Math.sqrt(1 - 0.97 ** 2) * gauss();
      price *= Math.exp(drift * v + 0.03 * gauss());
      const mcap = price * supply;
      p.series.close[a]![t] = price;
      p.series.mcap[a]![t] = mcap;
      p.series.supply[a]![t] = supply;
      p.series.volume[a]![t] = mcap * 0.05 * Math.exp(v);
      if (a % 2 === 0) p.series.tvl[a]![t] = mcap * (0.5 + 0.1 * gauss() ** 2);
      // Weekly development counts land on Sundays (2021-01-10 is day 6).
      if (a % 3 === 0 && t % 7 === 6) {
        p.series.commits[a]![t] = Math.floor(rand() * 30);
        p.series.authors[a]![t] = Math.floor(rand() * 5);
      }
    }
  }
  return p;
}

export function clonePanel(p: RawPanel): RawPanel {
  const series = {} as RawPanel['series'];
  for (const [k, arrs] of Object.entries(p.series)) series[k as keyof RawPanel['series']] = arrs.map((x) => Float64Array.from(x));
  return { days: [...p.days], assets: [...p.assets], symbols: [...p.symbols], series };
}
