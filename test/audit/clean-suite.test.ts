/**
 * Quiet on audited code: production contracts of well-known audited protocols, installed from
 * npm as pinned devDependencies (never copied into the repository), audited file by file as a
 * project per package. Budget: no high or medium finding, at most one low per two files, and
 * every file analysed.
 */
import { describe, expect, it } from 'vitest';
import { CLEAN_SUITE, cleanSuite, cleanSuiteFiles } from '../../bench/audit-quality.bench';

describe('audited production code', () => {
  it('every package of the suite is installed', () => {
    for (const pkg of CLEAN_SUITE) expect(cleanSuiteFiles(pkg).length, pkg).toBeGreaterThan(0);
  });

  it('raises no high or medium finding and at most one low per two files', () => {
    let files = 0;
    let low = 0;
    const alarms: string[] = [];
    for (const pkg of CLEAN_SUITE) {
      const s = cleanSuite(pkg);
      files += s.files;
      low += s.low;
      expect(s.errors, `${pkg}: files not analysed`).toBe(0);
      alarms.push(...s.listed.filter((l) => /^(high|medium)/.test(l)));
    }
    expect(files).toBeGreaterThan(500);
    expect(alarms).toEqual([]);
    expect(low).toBeLessThanOrEqual(files / 2);
  }, 600_000);
});
