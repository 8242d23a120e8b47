import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

// dist/ is what Argo CD deploys: it must be exactly what the app synthesizes, every time.
const root = path.resolve(__dirname, '..');

function synthTo(): string {
  const out = mkdtempSync(path.join(tmpdir(), 'synth-'));
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'main.ts'], {
    cwd: root, env: { ...process.env, CDK8S_OUTDIR: out }, stdio: 'pipe',
  });
  return out;
}

function readTree(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map(f => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

describe('dist/', () => {
  test('matches a fresh synth byte for byte, and two synths are identical', () => {
    const a = synthTo();
    const b = synthTo();
    try {
      const fresh = readTree(a);
      expect(Object.keys(fresh).length).toBeGreaterThan(0);
      expect(readTree(b)).toEqual(fresh);
      expect(readTree(path.join(root, 'dist'))).toEqual(fresh);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});
