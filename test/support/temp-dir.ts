import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A temporary directory of its own for a whole jest run, removed at its end, however jest
 * was started (`npm test`, `npx jest <file>`, the e2e config): cdk8s's Testing.app() makes a
 * folder per app under os.tmpdir() (thousands per run) and never removes them. Set as TMPDIR
 * in globalSetup, before jest starts its workers, so every worker inherits it; os.tmpdir()
 * reads TMPDIR on every call.
 */
const OWN = 'CDK8S_LITELLM_TEST_TMPDIR';
const PREVIOUS = 'CDK8S_LITELLM_TEST_PREVIOUS_TMPDIR';

export function enterTempDir(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-litellm-test.'));
  // Others may pass through, as through /tmp: the e2e runs PostgreSQL as its own user in a folder below.
  fs.chmodSync(dir, 0o755);
  process.env[PREVIOUS] = process.env.TMPDIR ?? '';
  process.env[OWN] = dir;
  process.env.TMPDIR = dir;
}

export function leaveTempDir(): void {
  const dir = process.env[OWN];
  if (dir === undefined) return;
  if (process.env[PREVIOUS] === '') delete process.env.TMPDIR;
  else process.env.TMPDIR = process.env[PREVIOUS];
  delete process.env[OWN];
  delete process.env[PREVIOUS];
  fs.rmSync(dir, { recursive: true, force: true });
}
