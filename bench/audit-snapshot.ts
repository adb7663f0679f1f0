/**
 * Audit snapshot: everything the source audit says about every Solidity file under test/ (each
 * audited alone, and each labelled fixture again as its renamed twin) and about each package of
 * the clean suite (audited as one folder), as one JSON document: findings (every field, sorted),
 * token risk, file summaries (content as a hash), errors and incomplete files. A refactor that
 * must not change behaviour is checked by comparing two snapshots byte for byte:
 *
 *   npx tsx bench/audit-snapshot.ts /tmp/before.json   (before the change)
 *   npx tsx bench/audit-snapshot.ts /tmp/after.json    (after it)
 *   cmp /tmp/before.json /tmp/after.json
 *
 * Not a bench (no figures); it prints the number of files and findings and the document's hash.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeSources, type SourceAnalysis } from '../src/main/services/audit/analyze';
import { renameIdentifiers } from '../test/audit/rename';
import { CLEAN_SUITE, cleanSuiteFiles } from './audit-quality.bench';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join('test', 'fixtures', 'audit');

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

function solidityFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...solidityFiles(full));
    else if (e.isFile() && e.name.endsWith('.sol')) out.push(full);
  }
  return out;
}

const view = (a: SourceAnalysis): Record<string, unknown> => ({
  findings: a.findings.map((f) => JSON.stringify(f)).sort(),
  tokenRisk: a.tokenRisk,
  files: a.files.map((f) => ({ ...f, content: sha1(f.content) })),
  errors: a.errors,
  incomplete: a.incomplete,
});

export function snapshot(): { doc: Record<string, Record<string, unknown>>; files: number; findings: number } {
  const doc: Record<string, Record<string, unknown>> = {};
  let files = 0;
  let findings = 0;
  const add = (key: string, a: SourceAnalysis): void => {
    doc[key] = view(a);
    findings += a.findings.length;
  };
  for (const full of solidityFiles(path.join(ROOT, 'test'))) {
    const rel = path.relative(ROOT, full).split(path.sep).join('/');
    const content = readFileSync(full, 'utf8');
    add(rel, analyzeSources([{ path: rel, content }]));
    files++;
    // The labelled fixtures (not the helper folders starting with `_`) also as renamed twins.
    if (rel.startsWith(`${FIXTURES.split(path.sep).join('/')}/`) && !rel.includes('/_')) add(`${rel}#renamed`, analyzeSources([{ path: rel, content: renameIdentifiers(content).source }]));
  }
  for (const pkg of CLEAN_SUITE) {
    const inputs = cleanSuiteFiles(pkg);
    files += inputs.length;
    add(`pkg:${pkg}`, analyzeSources(inputs));
  }
  return { doc, files, findings };
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: npx tsx bench/audit-snapshot.ts <out.json>');
    process.exit(2);
  }
  const { doc, files, findings } = snapshot();
  const text = JSON.stringify(doc, null, 1);
  writeFileSync(out, text);
  console.log(`${files} files, ${findings} findings, sha1 ${sha1(text)} -> ${out}`);
}
