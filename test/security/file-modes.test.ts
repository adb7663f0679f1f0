/** The database, its journal, the logs and the settings file are created owner-only (0600 in 0700 folders). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/services';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';
import { tempDataDir } from '../helpers/services';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(process.platform === 'win32')('file modes', () => {
  const tmp = tempDataDir('defimon-modes');
  afterAll(() => tmp.remove());

  it('creates the data folder, database, logs and settings file for the owner only', async () => {
    const dataDir = path.join(tmp.dir, 'fresh', 'DEFIMON');
    const config = loadConfig({ overrides: { dataDir, autoImport: false, autoCollect: false, logLevel: 'info' }, env: {} });
    const services = await createServices(config, { logger: createLogger({ dataDir, level: 'info', toStderr: false }) });
    try {
      services.log.info({}, 'a line so the log file exists');
      await services.client.call('settings.update', { values: { horizonDays: 20 } });
      services.core.store.db.exec('CREATE TABLE modes_probe (x); INSERT INTO modes_probe VALUES (1)'); // a write, so the WAL exists
    } finally {
      await services.close();
    }
    expect(mode(dataDir)).toBe('700');
    for (const f of ['defimon.sqlite', 'defimon.config.json']) expect(mode(path.join(dataDir, f)), f).toBe('600');
    for (const f of ['defimon.sqlite-wal', 'defimon.sqlite-shm']) if (existsSync(path.join(dataDir, f))) expect(mode(path.join(dataDir, f)), f).toBe('600');
    const logs = path.join(dataDir, 'logs');
    expect(mode(logs)).toBe('700');
    let files: string[] = [];
    for (let i = 0; i < 100 && files.length === 0; i++) {
      files = readdirSync(logs).filter((f) => f.endsWith('.log'));
      if (files.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(mode(path.join(logs, f)), f).toBe('600');
  });
});
