/**
 * `npm run bench [-- name...]`: runs every bench/<name>.bench.ts (or the named ones) in turn and
 * prints their figures. Each bench module exports `run(): Promise<void>` and prints its own
 * figures; targets live here, not in timed tests.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
    .sort();
  for (const f of files) {
    const name = f.replace('.bench.ts', '');
    console.log(`\n=== bench: ${name} ===`);
    const t0 = performance.now();
    const mod = (await import(path.join(__dirname, f))) as { run: () => Promise<void> };
    await mod.run();
    console.log(`--- ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
