import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The README's TypeScript examples are code on the current API: `npm test`
 * writes each ```ts block into build/readme-snippets/ (scripts/readme-snippets.js)
 * and type-checks it with the tests; here each one runs, and synthesizes
 * without an error (a fragment's App is synthesized at its end). A fragment runs after the
 * prelude the README states (app, chart, models, masterKey, ...).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main, out } = require('../scripts/readme-snippets.js') as { main: () => string[]; out: string };

const files = main();

describe('README examples', () => {
  test('the README has TypeScript examples, and the quick start is among them', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    const quickStart = fs.readFileSync(path.join(out, files[0]), 'utf8');
    expect(quickStart).toMatch(/from 'cdk8s-litellm'/);
    expect(quickStart).toMatch(/app\.synth\(\)/);
  });

  test.each(files)('%s runs and synthesizes', file => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    const previous = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = outdir;
    // What an example prints (a secret inventory table) is for its reader, not the test log.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(out, file));
    } finally {
      log.mockRestore();
      if (previous === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = previous;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

describe('README links', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
  const withoutCode = readme.replace(/```[\s\S]*?```/g, '');
  const anchors = new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(m => slug(m[1])));

  test('every link to a section of the README names a heading it has', () => {
    const links = [...withoutCode.matchAll(/\]\(#([^)]+)\)/g)].map(m => m[1]);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter(l => !anchors.has(l))).toEqual([]);
  });

  test('every link to a file of the repository names a file it has', () => {
    const files = [...withoutCode.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)].map(m => m[1]);
    expect(files.filter(f => !fs.existsSync(path.resolve(__dirname, '..', f)))).toEqual([]);
  });
});

describe('README figures', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');

  test('the object count quoted for the example app is the count in dist/', () => {
    const quoted = /`cdk8s synth` of the example app \([^)]*?(\d[\d,]*) objects\)/.exec(readme);
    expect(quoted).not.toBeNull();
    const dist = path.resolve(__dirname, '../dist');
    const files = fs.readdirSync(dist, { recursive: true, withFileTypes: true }).filter(e => e.isFile() && e.name.endsWith('.k8s.yaml'));
    expect(Number(quoted![1].replace(/,/g, ''))).toBe(files.length);
  });
});
