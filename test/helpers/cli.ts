/** Runs the real CLI to completion in a child process and returns its exit code and output. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './services';

export const CLI_BIN = path.join(REPO_ROOT, 'bin', 'defimon.cjs');
const run = promisify(execFile);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** env is the child's whole environment (default: this process's); a non-zero exit is returned, not thrown. */
export async function execCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; maxBuffer?: number }): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BIN, ...args], {
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs,
      maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
