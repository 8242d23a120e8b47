import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { GitOpsApp, GitOpsAppProps, LiteLLMConfigError, LiteLLMStack, LiteLLMStackProps, ProjectMode } from '../../lib';
import { isStack } from '../../lib/gitops/gitops-app';

/**
 * GitOps output for a fleet (issue 13): one folder per stack whatever the
 * nesting, named by its namespace (no index prefix, no hash, no empty folder),
 * one file per object, the same bytes every time, and an Argo CD Application
 * per stack folder instead of a hand-written list.
 */

const secret = (name: string, key: string) => ({ name, key });
const stackProps = (namespace: string): LiteLLMStackProps => ({
  namespace,
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai') }],
  masterKey: secret('litellm-master', 'master-key'),
  redis: { password: secret('litellm-redis', 'password') },
});
const argoCd = { repoURL: 'https://git.example.com/platform/llm.git' };

/** The issue's app: a `tenants` chart holding three stacks, plus a consumer chart with an object of its own and a stack inside. */
function issueApp(props: GitOpsAppProps = { argoCd }): GitOpsApp {
  const app = new GitOpsApp({ outdir: '/nonexistent', ...props });
  const tenants = new Chart(app, 'tenants');
  for (const t of ['team-a', 'team-b', 'team-c']) new LiteLLMStack(tenants, t, stackProps(`llm-${t}`));
  const platform = new Chart(app, 'platform', { namespace: 'platform', disableResourceNameHashes: true });
  new k8s.KubeConfigMap(platform, 'Settings', { metadata: { name: 'platform-settings' }, data: { a: 'b' } });
  new LiteLLMStack(platform, 'Gateway', stackProps('platform-llm'));
  return app;
}

const foldersOf = (files: Map<string, string>) => [...new Set([...files.keys()].map(f => f.split('/')[0]))].sort();

describe('GitOpsApp: folder layout', () => {
  const files = new Map(Object.entries(issueApp().synthFiles()));

  test('GIVEN nested stacks THEN one folder per stack named by its namespace, one for the consumer chart\'s own objects, none for the empty tenants chart', () => {
    expect(foldersOf(files)).toEqual(['argocd-applications', 'argocd-bootstrap', 'llm-team-a', 'llm-team-b', 'llm-team-c', 'platform', 'platform-llm']);
  });

  test('THEN no folder has an index prefix or a hash suffix, and every file is one object named <Kind>.<name>.k8s.yaml', () => {
    for (const folder of foldersOf(files)) {
      expect(folder).not.toMatch(/^\d{4}-/);
      expect(folder).not.toMatch(/-[0-9a-f]{8}$/);
    }
    for (const [file, text] of files) {
      const docs = text.split(/^---$/m);
      expect(docs).toHaveLength(1);
      const obj = parse(text);
      expect(path.basename(file)).toBe(`${obj.kind}.${obj.metadata.name}.k8s.yaml`);
    }
  });

  test('THEN each object is in its nearest chart\'s folder: the stack\'s objects in the stack folder, the consumer\'s in its own', () => {
    expect(files.has('platform/ConfigMap.platform-settings.k8s.yaml')).toBe(true);
    expect(files.has('platform-llm/Deployment.litellm.k8s.yaml')).toBe(true);
    expect([...files.keys()].filter(f => f.startsWith('platform/'))).toEqual(['platform/ConfigMap.platform-settings.k8s.yaml']);
    for (const t of ['team-a', 'team-b', 'team-c']) {
      expect(parse(files.get(`llm-${t}/Deployment.litellm.k8s.yaml`)!).metadata.namespace).toBe(`llm-${t}`);
    }
  });

  test('THEN the output is deterministic: a second app gives the same files, byte for byte', () => {
    expect(new Map(Object.entries(issueApp().synthFiles()))).toEqual(files);
  });

  test('THEN the objects are what cdk8s synthesizes for the same charts', () => {
    const plain = new App({ outdir: '/nonexistent' });
    new LiteLLMStack(plain, 'team-a', stackProps('llm-team-a'));
    const expected = plain.synthYaml();
    const ours = [...files].filter(([f]) => f.startsWith('llm-team-a/')).map(([, t]) => parse(t));
    const theirs = expected.split(/^---$/m).map(t => parse(t)).filter(Boolean);
    const key = (o: any) => `${o.kind}/${o.metadata.name}`;
    expect(new Map(ours.map(o => [key(o), o]))).toEqual(new Map(theirs.map(o => [key(o), o])));
  });

  test('GIVEN synth() THEN the files are written into outdir', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'gitops-'));
    try {
      const app = issueApp({ outdir: out, argoCd });
      app.synth();
      expect(readdirSync(out).sort()).toEqual(foldersOf(files));
      expect(readFileSync(path.join(out, 'llm-team-b/Service.litellm.k8s.yaml'), 'utf8')).toBe(files.get('llm-team-b/Service.litellm.k8s.yaml'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('GIVEN a consumer chart whose path folds onto a stack\'s namespace THEN rejected naming both', () => {
    const app = new GitOpsApp({ outdir: '/nonexistent' });
    new LiteLLMStack(app, 'gateway', stackProps('team-llm'));
    const team = new Chart(app, 'team', { namespace: 'team' });
    new k8s.KubeConfigMap(new Chart(team, 'llm'), 'x', { metadata: { name: 'x' } });
    expect(() => new Map(Object.entries(app.synthFiles()))).toThrow(LiteLLMConfigError);
    expect(() => new Map(Object.entries(app.synthFiles()))).toThrow(/^\[team\/llm\] folder: received "team-llm"; both gateway and team\/llm would be written to folder team-llm\//);
  });

  test('GIVEN the App-wide checks fail THEN synthFiles raises their error (the App is validated)', () => {
    const app = new GitOpsApp({ outdir: '/nonexistent' });
    new LiteLLMStack(app, 'a', stackProps('same'));
    new LiteLLMStack(app, 'b', stackProps('same'));
    expect(() => new Map(Object.entries(app.synthFiles()))).toThrow(/^\[b\] namespace: received "same"; already the namespace of stack a/);
  });

  test('isStack tells a LiteLLMStack from any other chart (cdk8s\'s `instanceof Chart` answers true for every chart)', () => {
    const app = new App();
    expect(isStack(new LiteLLMStack(app, 's', stackProps('s')))).toBe(true);
    expect(isStack(new Chart(app, 'c'))).toBe(false);
  });
});

describe('GitOpsApp: Argo CD Applications for every stack folder', () => {
  // The project semantics of issue 13: every Application in the App's project (ProjectMode.NONE; issue 21 adds a project each).
  const files = new Map(Object.entries(issueApp({ argoCd: { ...argoCd, targetRevision: 'main', project: 'platform', projects: ProjectMode.NONE } }).synthFiles()));
  const applications = [...files].filter(([f]) => f.startsWith('argocd-applications/Application.')).map(([, t]) => parse(t));

  test('THEN one Application per folder with a namespace (every stack, and the consumer chart), none for the Applications themselves', () => {
    expect(applications.map(a => a.metadata.name).sort()).toEqual(['llm-team-a', 'llm-team-b', 'llm-team-c', 'platform', 'platform-llm']);
  });

  test('THEN each syncs its folder into its namespace, with the App\'s repository, revision and project', () => {
    const a = applications.find(x => x.metadata.name === 'llm-team-b');
    expect(a.metadata.namespace).toBe('argocd');
    expect(a.spec.source).toEqual({ repoURL: argoCd.repoURL, targetRevision: 'main', path: 'dist/llm-team-b', directory: { recurse: false } });
    expect(a.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'llm-team-b' });
    expect(a.spec.project).toBe('platform');
  });

  test('GIVEN configureApplication on one stack THEN its Application differs there only', () => {
    const app = issueApp({ outdir: '/nonexistent', argoCd: { ...argoCd, path: 'deploy/llm', projects: ProjectMode.NONE } });
    GitOpsApp.configureApplication(app.node.findAll().find(c => isStack(c) && c.namespace === 'llm-team-c') as Chart, { project: 'team-c', automated: false });
    const apps = [...new Map(Object.entries(app.synthFiles()))].filter(([f]) => f.startsWith('argocd-applications/Application.')).map(([, t]) => parse(t));
    const c = apps.find(x => x.metadata.name === 'llm-team-c');
    const b = apps.find(x => x.metadata.name === 'llm-team-b');
    expect([c.spec.project, c.spec.syncPolicy.automated, c.spec.source.path]).toEqual(['team-c', undefined, 'deploy/llm/llm-team-c']);
    expect([b.spec.project, b.spec.syncPolicy.automated]).toEqual(['default', { prune: true, selfHeal: true }]);
  });

  test('GIVEN no argoCd THEN no Applications', () => {
    expect(foldersOf(new Map(Object.entries(issueApp({}).synthFiles())))).not.toContain('argocd-applications');
  });

  test('GIVEN synthFiles twice THEN the Applications are rebuilt, not duplicated, and include stacks added in between', () => {
    const app = issueApp();
    new Map(Object.entries(app.synthFiles()));
    new LiteLLMStack(app, 'late', stackProps('late'));
    const names = [...new Map(Object.entries(app.synthFiles())).keys()].filter(f => f.startsWith('argocd-applications/Application.'));
    expect(names).toContain('argocd-applications/Application.late.k8s.yaml');
    expect(names).toHaveLength(6);
  });
});
