/**
 * Every detector against a contract written to have the flaw and a fixed twin. Lines marked
 * `// @vuln <category>` in vulnerable.sol must be covered by a finding of that category; the
 * fixed version must have no high or medium finding in any category the vulnerable one marks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');
const cases = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => d.name).sort();

const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3 };

/** `// @vuln <category>` (a real flaw: low or worse), or `// @vuln <category> (info|low)`: style or hygiene at that floor. */
function markers(src: string): { line: number; category: string; floor: string | null }[] {
  const out: { line: number; category: string; floor: string | null }[] = [];
  src.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/@vuln (\w+)(?: \((info|low)\))?/g)) out.push({ line: i + 1, category: m[1] as string, floor: m[2] ?? null });
  });
  return out;
}

describe('detectors on vulnerable and fixed contracts', () => {
  it('has a vulnerable and a fixed contract for each case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const c of cases) expect(readdirSync(path.join(FIXTURES, c)).sort()).toEqual(['fixed.sol', 'vulnerable.sol']);
  });

  for (const c of cases) {
    describe(c, () => {
      const vulnerable = readFileSync(path.join(FIXTURES, c, 'vulnerable.sol'), 'utf8');
      const fixed = readFileSync(path.join(FIXTURES, c, 'fixed.sol'), 'utf8');
      const expected = markers(vulnerable);

      it('finds each marked flaw at its line', () => {
        expect(expected.length).toBeGreaterThan(0);
        const a = analyzeSources([{ path: `${c}.sol`, content: vulnerable }]);
        expect(a.errors).toEqual([]);
        for (const m of expected) {
          const hit = a.findings.find((f) => f.category === m.category && f.line <= m.line && m.line <= f.endLine && (RANK[f.severity] ?? 0) >= (RANK[m.floor ?? 'low'] ?? 1));
          expect(hit, `${c}: no ${m.category} finding covering line ${m.line}; got ${a.findings.map((f) => `${f.category}@${f.line}-${f.endLine}`).join(', ')}`).toBeDefined();
          // Short addresses have no SWC entry (SWC-130 is the right-to-left override).
          if (m.category === 'short_addresses') expect(hit?.swc).toBe('');
          else expect(hit?.swc).toMatch(/^SWC-\d{3}$/);
          expect(hit?.file).toBe(`${c}.sol`);
        }
        // The worst finding of each marked category is at least medium: these are real flaws.
        for (const cat of new Set(expected.filter((m) => m.floor === null).map((m) => m.category))) {
          if (cat === 'short_addresses' || cat === 'time_manipulation' || cat === 'front_running') continue;
          expect(a.findings.some((f) => f.category === cat && (f.severity === 'high' || f.severity === 'medium')), `${c}: ${cat} only at low severity`).toBe(true);
        }
      });

      it('reports nothing high or medium in those categories once fixed', () => {
        const a = analyzeSources([{ path: `${c}.sol`, content: fixed }]);
        expect(a.errors).toEqual([]);
        const cats = new Set(expected.map((m) => m.category));
        const bad = a.findings.filter((f) => cats.has(f.category) && (f.severity === 'high' || f.severity === 'medium'));
        expect(bad.map((f) => `${f.detector}@${f.line}: ${f.title}`)).toEqual([]);
        // Hygiene flaws (marked with their floor): the detectors that found them are silent once fixed.
        const v = analyzeSources([{ path: `${c}.sol`, content: vulnerable }]);
        const floored = expected.filter((m) => m.floor !== null);
        const detectorsHit = new Set(floored.flatMap((m) => v.findings.filter((f) => f.category === m.category && f.line <= m.line && m.line <= f.endLine).map((f) => f.detector)));
        expect(a.findings.filter((f) => detectorsHit.has(f.detector)).map((f) => `${f.detector}@${f.line}: ${f.title}`)).toEqual([]);
      });
    });
  }
});
