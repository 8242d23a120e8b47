import { readFileSync } from 'fs';
import * as path from 'path';
import { MARKER_KEY, OWNER_KEY, SYSTEM_METADATA } from '../../lib/access/declarations';
import { RECONCILE_SCRIPT } from '../../lib/access/reconcile-script';
import { WAIT_FOR_POSTGRES_SCRIPT } from '../../lib/governance/wait-for-postgres';

/**
 * The Python programs are files of the package (lib/access/reconcile.py,
 * lib/governance/wait_for_postgres.py), read at synth. The reconciler repeats
 * three constants of declarations.ts; TypeScript is their source of truth and
 * this test fails when the two disagree.
 */
const root = path.resolve(__dirname, '..', '..');
const program = readFileSync(path.join(root, 'lib/access/reconcile.py'), 'utf8');

/** The string literals of a Python assignment `NAME = ...` (up to the first line that closes it). */
function pythonStrings(name: string): string[] {
  const m = new RegExp(`^${name}(?::[^=]+)? = ([\\s\\S]*?)\\n(?=\\S)`, 'm').exec(program);
  if (!m) throw new Error(`reconcile.py has no ${name} = ...`);
  return [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(s => JSON.parse(`"${s[1]}"`));
}

describe('the reconciler program', () => {
  test('is the shipped file, unchanged', () => {
    expect(RECONCILE_SCRIPT).toBe(program);
    expect(WAIT_FOR_POSTGRES_SCRIPT).toBe(readFileSync(path.join(root, 'lib/governance/wait_for_postgres.py'), 'utf8').trim());
  });

  test('SYSTEM_METADATA, MARKER_KEY and OWNER_KEY equal those of declarations.ts', () => {
    expect(pythonStrings('SYSTEM_METADATA').sort()).toEqual([...SYSTEM_METADATA].sort());
    expect(pythonStrings('MARKER_KEY')).toEqual([MARKER_KEY]);
    expect(pythonStrings('OWNER_KEY')).toEqual([OWNER_KEY]);
  });
});
