import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';

/**
 * The folders of lib/ are layers: a module may import from its own folder and
 * from layers below it, never above (no cycles between concerns). The proxy is
 * the base everything plugs into: Redis and databases bind themselves to it
 * (lib/proxy/bindings.ts), so proxy/ imports none of them.
 */
const LAYERS: Record<string, number> = {
  '.': 0, // shared rules: errors, validation, labels, network, pod security, images
  'proxy': 1,
  'redis': 2,
  'governance': 2,
  'edge': 2,
  'observability': 2, // alerts and dashboards: read the proxy's metrics
  'access': 3, // teams, users, keys and budgets as code: uses the proxy and governance's rules
  'stack': 4,
  'gitops': 5, // the output of an App: a folder per stack, Argo CD Applications
  'fleet': 6, // many stacks on shared parts
};

const LIB = path.resolve(__dirname, '../lib');

function modules(dir = LIB): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

function folderOf(file: string): string {
  const rel = path.relative(LIB, path.dirname(file));
  return rel === '' ? '.' : rel.split(path.sep)[0];
}

describe('lib/ layering', () => {
  const files = modules().filter(f => path.basename(f) !== 'index.ts');

  test('every folder of lib/ has a layer', () => {
    expect(files.map(folderOf).filter(f => !(f in LAYERS))).toEqual([]);
  });

  test.each(files.map(f => [path.relative(LIB, f), f] as const))('%s imports only from its own folder and layers below', (_rel, file) => {
    const from = folderOf(file);
    const upward = [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)]
      .map(m => path.resolve(path.dirname(file), m[1]))
      .filter(target => target.startsWith(LIB))
      .map(target => folderOf(`${target}.ts`))
      .filter(to => to !== from && LAYERS[to] >= LAYERS[from]);
    expect(upward).toEqual([]);
  });
});
