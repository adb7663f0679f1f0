/**
 * Audit quality: line-level recall on the labelled fixtures (test/fixtures/audit, `// @vuln
 * <category>` marks) and findings per severity per file on audited production code installed
 * from npm as pinned devDependencies (node_modules; never copied into the repository), with the
 * CPU time per file. Budget on the clean suite: zero high/medium, at most one low per two files.
 *
 * `npm run bench -- audit-quality`, or `npx tsx bench/audit-quality.bench.ts [--list]
 * [--by-detector]` (--list prints every high/medium/low finding on the clean suite;
 * --by-detector prints, per detector, the fixture marks it covers and its findings by severity on
 * the clean suite).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeSources } from '../src/main/services/audit/analyze';
import type { SourceInput } from '../src/main/services/audit/parse';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'audit');

/**
 * Packages of audited production code (each pinned in package.json). Test and mock folders are
 * not production code and are left out; a package's own nested dependencies are other audited
 * code and counted under their own name.
 */
export const CLEAN_SUITE = [
  '@openzeppelin/contracts',
  '@uniswap/v2-core',
  '@uniswap/v3-core',
  '@uniswap/v3-periphery',
  '@uniswap/v3-periphery/node_modules/@openzeppelin/contracts',
  '@uniswap/lib',
  '@aave/core-v3',
  '@balancer-labs/v2-vault',
  '@balancer-labs/v2-solidity-utils',
  '@safe-global/safe-smart-account',
];

const EXCLUDED_DIR = /^(test|tests|mocks?|node_modules|\..*)$/i;

export function cleanSuiteFiles(pkg: string): SourceInput[] {
  const root = path.join(ROOT, 'node_modules', pkg);
  if (!existsSync(root)) return [];
  const out: SourceInput[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!EXCLUDED_DIR.test(e.name)) walk(full);
      } else if (e.isFile() && e.name.endsWith('.sol')) out.push({ path: path.relative(root, full).split(path.sep).join('/'), content: readFileSync(full, 'utf8') });
    }
  };
  walk(root);
  return out;
}

/** `// @vuln <category>`, or `// @vuln <category> (info|low)` for a hygiene flaw found at that floor. */
function markers(src: string): { line: number; category: string; floor: string }[] {
  const out: { line: number; category: string; floor: string }[] = [];
  src.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/@vuln (\w+)(?: \((info|low)\))?/g)) out.push({ line: i + 1, category: m[1] as string, floor: m[2] ?? 'low' });
  });
  return out;
}

const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3 };

export interface FixtureRecall {
  marked: number;
  found: number;
  missed: string[];
  /** High/medium findings on fixed twins in a category the vulnerable twin marks. */
  fixedAlarms: string[];
  /** Per detector: the marks a finding of it covers. */
  covers: Record<string, number>;
}

export function fixtureRecall(dirs: string[] = [FIXTURES]): FixtureRecall {
  const res: FixtureRecall = { marked: 0, found: 0, missed: [], fixedAlarms: [], covers: {} };
  for (const base of dirs) {
    for (const c of readdirSync(base, { withFileTypes: true })) {
      if (!c.isDirectory() || c.name.startsWith('_')) continue;
      for (const variant of readdirSync(path.join(base, c.name)).filter((f) => f.endsWith('.sol')).sort()) {
        const content = readFileSync(path.join(base, c.name, variant), 'utf8');
        const a = analyzeSources([{ path: `${c.name}/${variant}`, content }]);
        if (variant.startsWith('fixed')) {
          const vuln = variant.replace(/^fixed/, 'vulnerable');
          const cats = new Set(existsSync(path.join(base, c.name, vuln)) ? markers(readFileSync(path.join(base, c.name, vuln), 'utf8')).map((m) => m.category) : []);
          for (const f of a.findings) if (cats.has(f.category) && (f.severity === 'high' || f.severity === 'medium')) res.fixedAlarms.push(`${c.name}/${variant}:${f.line} ${f.detector} ${f.title}`);
          continue;
        }
        for (const m of markers(content)) {
          res.marked++;
          const hits = a.findings.filter((f) => f.category === m.category && f.line <= m.line && m.line <= f.endLine && (RANK[f.severity] ?? 0) >= (RANK[m.floor] ?? 1));
          for (const d of new Set(hits.map((f) => f.detector))) res.covers[d] = (res.covers[d] ?? 0) + 1;
          if (hits.length > 0) res.found++;
          else res.missed.push(`${c.name}/${variant}:${m.line} ${m.category}`);
        }
      }
    }
  }
  return res;
}

export interface SuiteFigures {
  pkg: string;
  files: number;
  high: number;
  medium: number;
  low: number;
  info: number;
  errors: number;
  cpuMs: number;
  listed: string[];
  /** Per detector: findings by severity. */
  byDetector: Record<string, Record<string, number>>;
}

export function cleanSuite(pkg: string): SuiteFigures {
  const files = cleanSuiteFiles(pkg);
  const cpu0 = process.cpuUsage();
  const a = analyzeSources(files);
  const cpu = process.cpuUsage(cpu0);
  const count = (s: string): number => a.findings.filter((f) => f.severity === s).length;
  return {
    pkg,
    files: files.length,
    high: count('high'),
    medium: count('medium'),
    low: count('low'),
    info: count('info'),
    errors: a.errors.length,
    cpuMs: (cpu.user + cpu.system) / 1000,
    byDetector: a.findings.reduce<Record<string, Record<string, number>>>((acc, f) => {
      const d = (acc[f.detector] ??= {});
      d[f.severity] = (d[f.severity] ?? 0) + 1;
      return acc;
    }, {}),
    listed: [
      ...a.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity.padEnd(6)} ${pkg}/${f.file}:${f.line} ${f.detector}: ${f.title}`),
      ...a.errors.map((e) => `error  ${pkg}/${e.file ?? ''}:${e.line ?? ''} ${e.message}`),
    ],
  };
}

export async function run(): Promise<void> {
  const list = process.argv.includes('--list');
  const perDetector = process.argv.includes('--by-detector');
  const byDetector: Record<string, Record<string, number>> = {};
  const r = fixtureRecall();
  console.log(`fixtures: line-level recall ${r.found}/${r.marked} = ${((100 * r.found) / Math.max(1, r.marked)).toFixed(1)}%; high/medium on fixed twins in marked categories: ${r.fixedAlarms.length}`);
  for (const m of r.missed) console.log(`  missed ${m}`);
  for (const m of r.fixedAlarms) console.log(`  fixed-twin alarm ${m}`);
  console.log('clean suite (audited production code from npm, as of the pinned versions):');
  console.log(`  ${'package'.padEnd(58)} files  high  med   low  info  err  low/file  cpu ms/file`);
  const tot = { files: 0, high: 0, medium: 0, low: 0, info: 0, errors: 0, cpuMs: 0 };
  for (const pkg of CLEAN_SUITE) {
    const s = cleanSuite(pkg);
    if (s.files === 0) {
      console.log(`  ${pkg.padEnd(58)} not installed`);
      continue;
    }
    for (const k of ['files', 'high', 'medium', 'low', 'info', 'errors', 'cpuMs'] as const) tot[k] += s[k];
    console.log(`  ${pkg.padEnd(58)} ${String(s.files).padStart(5)} ${String(s.high).padStart(5)} ${String(s.medium).padStart(5)} ${String(s.low).padStart(5)} ${String(s.info).padStart(5)} ${String(s.errors).padStart(4)} ${(s.low / s.files).toFixed(2).padStart(9)} ${(s.cpuMs / s.files).toFixed(1).padStart(12)}`);
    if (list) for (const l of s.listed) console.log(`    ${l}`);
    for (const [d, sev] of Object.entries(s.byDetector)) for (const [k, n] of Object.entries(sev)) (byDetector[d] ??= {})[k] = (byDetector[d]?.[k] ?? 0) + n;
  }
  console.log(`  ${'total'.padEnd(58)} ${String(tot.files).padStart(5)} ${String(tot.high).padStart(5)} ${String(tot.medium).padStart(5)} ${String(tot.low).padStart(5)} ${String(tot.info).padStart(5)} ${String(tot.errors).padStart(4)} ${(tot.low / Math.max(1, tot.files)).toFixed(2).padStart(9)} ${(tot.cpuMs / Math.max(1, tot.files)).toFixed(1).padStart(12)}`);
  console.log(`  budget: high+medium 0 (now ${tot.high + tot.medium}), low <= ${(tot.files / 2).toFixed(0)} (now ${tot.low})`);
  if (!perDetector) return;
  console.log(`per detector: fixture marks covered; clean-suite findings per file (of ${tot.files})`);
  console.log(`  ${'detector'.padEnd(34)} marks    high     med     low    info`);
  for (const d of [...new Set([...Object.keys(r.covers), ...Object.keys(byDetector)])].sort()) {
    const per = (k: string): string => ((byDetector[d]?.[k] ?? 0) / Math.max(1, tot.files)).toFixed(3).padStart(7);
    console.log(`  ${d.padEnd(34)} ${String(r.covers[d] ?? 0).padStart(5)} ${per('high')} ${per('medium')} ${per('low')} ${per('info')}`);
  }
}

if (require.main === module) void run();
