import { execFileSync } from 'child_process';
import * as path from 'path';

/** Installs redis-server and the pinned LiteLLM into .e2e/venv (idempotent; fast when already there). */
export default function globalSetup(): void {
  const script = path.join(__dirname, '..', '..', 'scripts', 'e2e-install.sh');
  // A first install downloads litellm[proxy] and its dependencies: bounded, but generously.
  execFileSync('bash', [script], { stdio: 'inherit', timeout: 15 * 60 * 1000 });
}
