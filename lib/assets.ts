import * as fs from 'fs';
import * as path from 'path';

/**
 * Files the library ships next to its code and reads at synth time (the
 * Python programs its Jobs run). They live under `lib/` in the package root,
 * found by walking up from this module to the package.json named
 * `cdk8s-litellm`: the same lookup works from the TypeScript sources (ts-jest,
 * tsx), from the compiled `build/lib/`, from an installed npm package and from
 * the npm tarball a jsii wheel embeds.
 */
const PACKAGE_NAME = 'cdk8s-litellm';
let root: string | undefined;
const cache = new Map<string, string>();

function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) {
      root = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json named ${PACKAGE_NAME} above ${__dirname}; the package is incomplete`);
  }
}

/** The text of a shipped file, by its path from the package root (e.g. `lib/access/reconcile.py`). */
export function readAsset(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = fs.readFileSync(path.join(packageRoot(), relativePath), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}
