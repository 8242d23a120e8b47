import { execFileSync } from 'child_process';
import * as path from 'path';
import { enterTempDir } from '../support/temp-dir';

/**
 * Installs redis-server and the pinned LiteLLM into .e2e/venv (idempotent; fast when already there),
 * then gives the run a temporary directory of its own (removed by global-teardown.ts).
 */
export default function globalSetup(): void {
  const script = path.join(__dirname, '..', '..', 'scripts', 'e2e-install.sh');
  // A first install downloads litellm[proxy] and its dependencies: bounded, but generously.
  execFileSync('bash', [script], { stdio: 'inherit', timeout: 15 * 60 * 1000 });
  enterTempDir();
}
