/**
 * Rewrites the generated configuration tables in the READMEs from the schema (services/config):
 * `npx tsx scripts/config-docs.ts`. test/foundation/config-guard.test.ts fails when they drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configDocs } from '../src/main/services/config/config';

export const GENERATED = [{ file: 'src/main/services/collect/README.md', prefix: 'collect.' }];

export function withGenerated(text: string, prefix: string): string {
  const start = `<!-- config-docs:${prefix}start -->`;
  const end = `<!-- config-docs:${prefix}end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no ${start} ... ${end} markers`);
  return `${text.slice(0, a + start.length)}\n${configDocs(prefix)}\n${text.slice(b)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  for (const g of GENERATED) {
    const file = path.resolve(__dirname, '..', g.file);
    writeFileSync(file, withGenerated(readFileSync(file, 'utf8'), g.prefix));
  }
}
