/**
 * The one configuration module: lint refuses process.env anywhere else in src, every DEFIMON_*
 * variable the code names is one the configuration maps, and the collectors' tunables come from
 * file, environment and flags with their bounds enforced.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ENV_MAP, loadConfig, overrideFromFlag, SERVICES_HOST_ENV } from '../../src/main/services/config/config';
import { SECRET_ENV_VARS } from '../../src/main/services/settings/document';
import { GENERATED, withGenerated } from '../../scripts/config-docs';
import { REPO_ROOT, tempDataDir } from '../helpers/services';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx)$/.test(n) ? [p] : [];
  });
}

describe('configuration guard', () => {
  it('lint refuses process.env outside the configuration module and allows it inside', async () => {
    const eslint = new ESLint({ cwd: REPO_ROOT });
    const code = 'export const rate = Number(process.env.DEFIMON_RPC_RATE ?? 25);\n';
    const [outside] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, 'src/main/services/collect/lint-probe.ts') });
    expect(outside?.messages.map((m) => m.ruleId)).toContain('no-restricted-properties');
    const [inside] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, 'src/main/services/config/lint-probe.ts') });
    expect(inside?.messages.filter((m) => m.ruleId === 'no-restricted-properties')).toEqual([]);
  }, 60_000);

  it('no source file reads process.env outside the configuration module (one justified line in the shell)', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(REPO_ROOT, 'src'))) {
      const rel = path.relative(REPO_ROOT, file).split(path.sep).join('/');
      if (rel.startsWith('src/main/services/config/')) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/process\.env\b/.test(line) && !/eslint-disable-next-line no-restricted-properties/.test(lines[i - 1] ?? '')) offenders.push(`${rel}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('every DEFIMON_* name in the code is a configuration variable (or the process-role marker)', () => {
    const known = new Set([...Object.keys(ENV_MAP), ...Object.values(SECRET_ENV_VARS), SERVICES_HOST_ENV, 'DEFIMON_CONFIG']);
    const unknown = new Set<string>();
    for (const file of sources(path.join(REPO_ROOT, 'src/main'))) for (const m of readFileSync(file, 'utf8').matchAll(/\bDEFIMON_[A-Z0-9_]+\b/g)) if (!known.has(m[0])) unknown.add(m[0]);
    expect([...unknown]).toEqual([]);
  });

  it('the generated configuration tables in the READMEs match the schema (npx tsx scripts/config-docs.ts rewrites them)', () => {
    for (const g of GENERATED) {
      const text = readFileSync(path.join(REPO_ROOT, g.file), 'utf8');
      expect(text, `${g.file}: run npx tsx scripts/config-docs.ts`).toBe(withGenerated(text, g.prefix));
    }
    const readme = readFileSync(path.join(REPO_ROOT, 'src/main/services/collect/README.md'), 'utf8');
    const missing = Object.entries(ENV_MAP)
      .filter(([, v]) => v.key.startsWith('collect.'))
      .map(([name]) => name)
      .filter((name) => !readme.includes(name));
    expect(missing).toEqual([]);
  });

  it('collector tunables: defaults, then file, then env, then --set flags; out of bounds is a clear error', () => {
    const tmp = tempDataDir('defimon-config-guard');
    try {
      const base = loadConfig({ overrides: { dataDir: tmp.dir }, env: {} });
      expect(base.collect.chain.confirmations).toBe(64);
      expect(base.collect.intervals.chain).toBe(300);
      const env = { DEFIMON_CHAIN_CONFIRMATIONS: '128', DEFIMON_RPC_RATE: '10', DEFIMON_COLLECT_CONCURRENCY: '3' };
      const fromEnv = loadConfig({ overrides: { dataDir: tmp.dir }, env });
      expect([fromEnv.collect.chain.confirmations, fromEnv.collect.rates.rpc, fromEnv.collect.concurrency, fromEnv.collect.chain.maxRange]).toEqual([128, 10, 3, 10_000]);
      const flags = overrideFromFlag('collect.chain.confirmations=200', overrideFromFlag('collect.rates.coingecko=0.05', { dataDir: tmp.dir }));
      const fromFlags = loadConfig({ overrides: flags, env });
      expect([fromFlags.collect.chain.confirmations, fromFlags.collect.rates.coingecko, fromFlags.collect.rates.rpc]).toEqual([200, 0.05, 10]);
      expect(() => loadConfig({ overrides: { dataDir: tmp.dir }, env: { DEFIMON_CHAIN_CONFIRMATIONS: 'many' } })).toThrow(/DEFIMON_CHAIN_CONFIRMATIONS must be a number/);
      expect(() => loadConfig({ overrides: { dataDir: tmp.dir }, env: { DEFIMON_RPC_BATCH_SIZE: '0' } })).toThrow(/collect\.chain\.batchSize/);
      expect(() => loadConfig({ overrides: { dataDir: tmp.dir, collect: { chain: { confirmation: 3 } } }, env: {} })).toThrow(/collect\.chain/);
      expect(() => overrideFromFlag('collect.chain.confirmations')).toThrow(/key=value/);
    } finally {
      tmp.remove();
    }
  });
});
