import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { nameViolations } from './support/expectations';
import { policyViolations } from './support/policy';
import { schemaErrors } from './support/schema';

// dist/ is what Argo CD deploys: it must be exactly what the app synthesizes, every time.
const root = path.resolve(__dirname, '..');

function synthTo(): string {
  const out = mkdtempSync(path.join(tmpdir(), 'synth-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: root, env: { ...process.env, CDK8S_OUTDIR: out }, stdio: 'pipe',
  });
  return out;
}

/** Every file below `dir`, by relative path. */
function readTree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(out, readTree(dir, rel));
    else out[rel] = readFileSync(path.join(dir, rel), 'utf8');
  }
  return out;
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

describe('what dist/ holds', () => {
  const objects = Object.values(readTree(path.join(root, 'dist'))).flatMap(text => parseAllDocuments(text).map(d => d.toJSON()));

  test('every example stack is there: both presets, four edge controllers, Argo CD Applications', () => {
    const kinds = new Set(objects.map(o => o.kind));
    for (const kind of ['Deployment', 'StatefulSet', 'Ingress', 'IngressRoute', 'HTTPRoute', 'Policy', 'Cluster', 'Job', 'Application', 'HorizontalPodAutoscaler']) {
      expect(kinds).toContain(kind);
    }
  });

  test('a folder per stack named by its namespace (the fleet\'s tenants too), no index or hash, no empty folder; an Application and an AppProject per stack, a root Application', () => {
    const dist = path.join(root, 'dist');
    const folders = readdirSync(dist).sort();
    expect(folders).toEqual(['argocd-applications', 'argocd-bootstrap', 'litellm', 'litellm-edge', 'litellm-nginx-inc', 'litellm-traefik', 'llm-team-a', 'llm-team-b', 'llm-team-c', 'tenants-dashboard']);
    for (const folder of folders) expect(readdirSync(path.join(dist, folder)).length).toBeGreaterThan(0);
    const applications = objects.filter(o => o.kind === 'Application' && o.spec.source.path !== 'dist/argocd-applications');
    // Every stack's folder syncs into its namespace; the fleet dashboard's chart (tenants-dashboard) into "monitoring".
    const namespaceOf = (f: string) => (f === 'tenants-dashboard' ? 'monitoring' : f);
    expect(applications.map(a => [a.spec.source.path, a.spec.destination.namespace]).sort()).toEqual(
      folders.filter(f => !f.startsWith('argocd-')).map(f => [`dist/${f}`, namespaceOf(f)]));
    const projects = new Map(objects.filter(o => o.kind === 'AppProject').map(p => [p.metadata.name, p]));
    for (const a of applications) expect(projects.get(a.spec.project).spec.destinations).toEqual([a.spec.destination]);
    expect(readdirSync(path.join(dist, 'argocd-bootstrap'))).toEqual(['Application.argocd-applications.k8s.yaml']);
  });

  test('passes the upstream schemas, the policy gate (no secret values, restricted pods, ...) and the API server\'s naming rules', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
    expect(nameViolations(objects)).toEqual([]);
  });
});
