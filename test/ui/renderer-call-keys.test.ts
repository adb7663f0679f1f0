/** Query keys and invalidation come from the contract's names: checked against the real contract and a real QueryClient. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { QueryClient } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { eventNames, methodNames } from '../../src/shared/contract';
import { callKey, domainOf, isStaleAfter, READ_MODEL_DOMAIN, staleMethods } from '../../src/renderer/src/lib/call-keys';

describe('call keys', () => {
  it('key a query by method and input, one entry whether the input is omitted or empty', () => {
    expect(callKey('ui.overview')).toEqual(callKey('ui.overview', {}));
    expect(callKey('ui.notes', { assetId: 'a' })).not.toEqual(callKey('ui.notes', { assetId: 'b' }));
    expect(callKey('ui.notes', { assetId: 'a' })[0]).toBe('ui.notes');
  });

  it('make stale the changed domain and the read models, nothing else', () => {
    const [changedDomain, otherDomain] = [...new Set(methodNames.map(domainOf))].filter((d) => d !== READ_MODEL_DOMAIN);
    const changed = methodNames.find((m) => domainOf(m) === changedDomain)!;
    const stale = staleMethods(changed);
    for (const m of methodNames) expect(stale.includes(m)).toBe(domainOf(m) === changedDomain || domainOf(m) === READ_MODEL_DOMAIN);
    expect(stale.some((m) => domainOf(m) === otherDomain)).toBe(false);
    // A name without a domain changes nothing.
    expect(isStaleAfter('progress', callKey(changed))).toBe(false);
  });

  it('every contract event with a domain refreshes that domain or the read models', () => {
    for (const e of eventNames) {
      if (domainOf(e) === '') continue;
      expect(staleMethods(e).length, e).toBeGreaterThan(0);
    }
  });

  it('drive a real QueryClient: only the stale queries are invalidated, whatever their input', async () => {
    const qc = new QueryClient();
    for (const m of methodNames) {
      qc.setQueryData(callKey(m), 1);
      qc.setQueryData([m, { some: 'input' }], 1);
    }
    const changed = eventNames.find((e) => domainOf(e) !== '' && domainOf(e) !== READ_MODEL_DOMAIN)!;
    await qc.invalidateQueries({ predicate: (q) => isStaleAfter(changed, q.queryKey) });
    for (const q of qc.getQueryCache().getAll()) {
      const m = q.queryKey[0] as string;
      expect(q.state.isInvalidated, m).toBe(domainOf(m) === domainOf(changed) || domainOf(m) === READ_MODEL_DOMAIN);
    }
    qc.clear();
  });

  it('the renderer writes no query key or event-to-key map by hand', () => {
    const root = path.resolve(__dirname, '../../src/renderer/src');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !/lib[\\/]call(s|-keys)\.ts$/.test(p)) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((f) => /queryKey\s*:\s*\[\s*['"`]|setQueryData\(\s*\[|invalidateQueries\(\s*\{\s*queryKey/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
