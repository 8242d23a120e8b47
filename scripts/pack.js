#!/usr/bin/env node
// `npm run pack`: the release tarball, dist-packages/npm/cdk8s-litellm-<version>.tgz.
// The files are exactly what `npm pack` selects (package.json "files": build/, .jsii,
// the Python programs, README, LICENSE, CHANGELOG); the package.json inside it has
// no scripts and no devDependencies. A tarball is installed as a non-registry source,
// and npm 11 lists every lifecycle script of such a package for review, `prepare`
// included (npm 12 will skip them): ours are for building this repository, never
// for installing the package, so the release carries none and installs without a
// warning on npm 10, 11 and 12. Run `npm run build` first (CI does).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const outDir = path.join(root, 'dist-packages', 'npm');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (!fs.existsSync(path.join(root, pkg.main))) {
  console.error(`pack: ${pkg.main} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const listing = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: root, encoding: 'utf8' }));
const files = listing[0].files.map(f => f.path).filter(f => f !== 'package.json');

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-litellm-pack.'));
try {
  for (const f of files) {
    fs.mkdirSync(path.join(stage, path.dirname(f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(stage, f));
  }
  const { scripts, devDependencies, allowScripts, ...released } = pkg;
  void scripts; void devDependencies; void allowScripts;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(released, null, 2) + '\n');
  fs.mkdirSync(outDir, { recursive: true });
  const [info] = JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--loglevel=error', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8' }));
  if (info.entryCount !== files.length + 1) throw new Error(`pack: the tarball holds ${info.entryCount} files, npm pack selected ${files.length + 1}`);
  console.log(`pack: ${path.relative(root, path.join(outDir, info.filename))} (${info.entryCount} files, ${(info.size / 1024).toFixed(0)} kB; no install scripts)`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
