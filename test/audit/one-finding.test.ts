/**
 * One finding per flaw: across every fixture (and its renamed twin), no two findings of one
 * detector (or of one weakness: category and SWC) overlap in the same file, and a finding inside a function names that function and
 * the line it starts at, instead of a second finding at the function's header.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';
import { renameIdentifiers } from './rename';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');
const files = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(FIXTURES, d.name)).filter((f) => f.endsWith('.sol')).map((f) => `${d.name}/${f}`))
  .sort();

type F = ReturnType<typeof analyzeSources>['findings'][number];
/**
 * The same flaw reported twice: one detector, or one weakness (category and SWC) at notable
 * severity once over a wider range (say from the function's header) and again at a statement
 * inside it. Two detectors on the very same lines name two flaws of one statement.
 */
const sameFlaw = (a: F, b: F): boolean => a.detector === b.detector || (a.category === b.category && a.swc === b.swc && a.severity !== 'info' && b.severity !== 'info' && (a.line !== b.line || a.endLine !== b.endLine));

describe('one finding per flaw', () => {
  for (const f of files) {
    it(f, () => {
      const src = readFileSync(path.join(FIXTURES, f), 'utf8');
      for (const content of [src, renameIdentifiers(src).source]) {
        const { findings } = analyzeSources([{ path: 'x.sol', content }]);
        const overlaps: string[] = [];
        findings.forEach((a, i) => {
          for (const b of findings.slice(i + 1)) {
            if (sameFlaw(a, b) && a.file === b.file && a.line <= b.endLine && b.line <= a.endLine) overlaps.push(`${a.detector}/${b.detector} ${a.line}-${a.endLine} and ${b.line}-${b.endLine}`);
          }
        });
        expect(overlaps).toEqual([]);
        for (const x of findings) {
          if (x.function === null) continue;
          expect(x.functionLine, `${x.detector}@${x.line} in ${x.function}`).toBeGreaterThan(0);
        }
      }
    });
  }
});
