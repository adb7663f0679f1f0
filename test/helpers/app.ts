/** Builds real services on a temporary data directory for a test. */
import { loadConfig, type DefimonConfigInput } from '../../src/main/services/config/config';
import { createServices, type Services } from '../../src/main/services';
import { createLogger } from '../../src/main/services/log/logger';
import { tempDataDir } from './services';

export async function createTestServices(overrides: Partial<DefimonConfigInput> = {}): Promise<{ services: Services; dataDir: string; cleanup: () => Promise<void> }> {
  const tmp = tempDataDir();
  // Tests start from a store without models unless they ask for the model shipped with the dataset.
  const config = loadConfig({ overrides: { dataDir: tmp.dir, logLevel: 'silent', bundledModel: false, ...overrides }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir: tmp.dir, level: 'silent', toStderr: false }) });
  return {
    services,
    dataDir: tmp.dir,
    cleanup: async () => {
      await services.close();
      tmp.remove();
    },
  };
}
