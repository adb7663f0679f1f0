/** DevTools are off in packaged builds: the window gets them only when the app is not packaged. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowOptions } from '../../src/main/app/window';
import { REPO_ROOT } from '../helpers/services';

describe('DevTools', () => {
  it('are off unless asked for, and the app asks only when not packaged', () => {
    expect(windowOptions('/p.js').webPreferences?.devTools).toBe(false);
    expect(windowOptions('/p.js', undefined, { devTools: true }).webPreferences?.devTools).toBe(true);
    const main = readFileSync(path.join(REPO_ROOT, 'src/main/app/index.ts'), 'utf8');
    expect(main).toMatch(/windowOptions\(.*\{ devTools: !app\.isPackaged \}\)/);
  });
});
