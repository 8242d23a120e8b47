import { createHash } from 'crypto';
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { SCHEMA_DIR } from './support/schema';

// The upstream schemas are test data committed unchanged (schemas/README.md): a file that
// differs from its recorded sum was edited by hand or refreshed without updating SHA256SUMS.
describe('schemas/', () => {
  const sums = readFileSync(path.join(SCHEMA_DIR, 'SHA256SUMS'), 'utf8').trim().split('\n')
    .map(line => { const [sum, file] = line.split(/\s+/); return { sum, file }; });

  test('every committed schema file is listed in SHA256SUMS, and nothing else', () => {
    const files = ['kubernetes', 'crds'].flatMap(dir => readdirSync(path.join(SCHEMA_DIR, dir)).map(f => `${dir}/${f}`)).sort();
    expect(sums.map(s => s.file).sort()).toEqual(files);
  });

  test.each(sums.map(s => [s.file, s.sum] as const))('%s matches its recorded sha256', (file, sum) => {
    expect(createHash('sha256').update(readFileSync(path.join(SCHEMA_DIR, file))).digest('hex')).toBe(sum);
  });
});
