import { configErrorOf } from '../support/expectations';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { GitOpsApp, GitOpsAppProps, LiteLLMAppProject, LiteLLMConfigError, LiteLLMFleet, LiteLLMStack, LiteLLMStackProps, ProjectMode } from '../../lib';
import { isStack } from '../../lib/gitops/gitops-app';
import { schemaErrors } from '../support/schema';

/**
 * Argo CD bootstrap (issue 21): one root Application (app of apps) applied
 * once by hand brings in an AppProject and an Application per stack; each
 * project confines its Application to its repository, its namespace and the
 * kinds its folder holds.
 */

const secret = (name: string, key: string) => ({ name, key });
const repoURL = 'https://git.example.com/platform/llm.git';
const stackProps = (namespace: string, extra: Partial<LiteLLMStackProps> = {}): LiteLLMStackProps => ({
  namespace,
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai') }],
  masterKey: secret('litellm-master', 'master-key'),
  redis: { password: secret('litellm-redis', 'password') },
  ...extra,
});

/** Two tenants (one with a database, governance as code and so a hook Job) and a consumer chart. */
function app(argoCd: Partial<GitOpsAppProps['argoCd']> = {}): GitOpsApp {
  const a = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL, ...argoCd } });
  new LiteLLMStack(a, 'team-a', stackProps('llm-team-a', { database: { cloudNativePg: {} }, access: { teams: [{ id: 'analytics' }] } }));
  new LiteLLMStack(a, 'team-b', stackProps('llm-team-b', { createNamespace: false }));
  const platform = new Chart(a, 'platform', { namespace: 'platform', disableResourceNameHashes: true });
  new k8s.KubeConfigMap(platform, 'Settings', { metadata: { name: 'platform-settings' }, data: { a: 'b' } });
  return a;
}

const filesOf = (a: GitOpsApp): Map<string, any> => new Map(Object.entries(a.synthFiles()).map(([f, t]) => [f, parse(t)]));
const inFolder = (files: Map<string, any>, folder: string): any[] => [...files].filter(([f]) => f.startsWith(`${folder}/`)).map(([, o]) => o);
const groupOf = (o: any): string => (String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '');

/**
 * Argo CD's check of one object against a project, ported from argo-cd v3.5.1
 * (pkg/apis/application/v1alpha1/app_project_types.go IsGroupKindNamePermitted,
 * IsDestinationPermitted; controller/sync.go validateSyncPermissions), for the
 * fields our projects set: whitelists, a blacklist of everything, destinations.
 */
function permitted(project: any, o: any, namespaced = o.metadata.namespace !== undefined): boolean {
  const spec = project.spec;
  const gk = { group: groupOf(o), kind: o.kind };
  const match = (e: any) => (e.group === '*' || e.group === gk.group) && (e.kind === '*' || e.kind === gk.kind);
  if (namespaced) {
    const white = spec.namespaceResourceWhitelist;
    const black = spec.namespaceResourceBlacklist ?? [];
    const whiteListed = white === undefined || (white.length !== 0 && white.some(match));
    if (!whiteListed || black.some(match)) return false;
    return (spec.destinations ?? []).some((d: any) => d.server === 'https://kubernetes.default.svc' && d.namespace === o.metadata.namespace);
  }
  const white = spec.clusterResourceWhitelist ?? [];
  return white.length !== 0 && white.some((e: any) => match(e) && (e.name === undefined || e.name === o.metadata.name));
}

describe('Argo CD bootstrap: the root Application', () => {
  const files = filesOf(app());

  test('GIVEN argoCd THEN argocd-bootstrap/ holds one file: the root Application, syncing the Applications folder into Argo CD\'s namespace', () => {
    const boot = inFolder(files, 'argocd-bootstrap');
    expect(boot).toHaveLength(1);
    expect(boot[0]).toMatchObject({
      kind: 'Application',
      metadata: { name: 'argocd-applications', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL, path: 'dist/argocd-applications', targetRevision: 'HEAD', directory: { recurse: false } },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  });

  test('THEN deleting the root does not cascade (no resources finalizer); each tenant\'s Application keeps its own', () => {
    expect(inFolder(files, 'argocd-bootstrap')[0].metadata.finalizers).toBeUndefined();
    expect(files.get('argocd-applications/Application.llm-team-a.k8s.yaml').metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  test('THEN the Applications folder holds an AppProject and an Application per folder with a namespace, and nothing else', () => {
    expect([...files.keys()].filter(f => f.startsWith('argocd-applications/')).sort()).toEqual([
      'argocd-applications/AppProject.llm-team-a.k8s.yaml', 'argocd-applications/AppProject.llm-team-b.k8s.yaml', 'argocd-applications/AppProject.platform.k8s.yaml',
      'argocd-applications/Application.llm-team-a.k8s.yaml', 'argocd-applications/Application.llm-team-b.k8s.yaml', 'argocd-applications/Application.platform.k8s.yaml',
    ]);
  });

  test('THEN AppProjects sync before the Applications (wave -1, the Applications the default 0) and stay until no Application names them', () => {
    for (const p of inFolder(files, 'argocd-applications').filter(o => o.kind === 'AppProject')) {
      expect(p.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
      expect(p.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    }
    for (const a of inFolder(files, 'argocd-applications').filter(o => o.kind === 'Application')) {
      expect(Number(a.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0)).toBeGreaterThan(-1);
    }
  });

  test('THEN every object of the bootstrap and Applications folders passes the AppProject and Application schemas', () => {
    expect(schemaErrors([...inFolder(files, 'argocd-bootstrap'), ...inFolder(files, 'argocd-applications')])).toEqual([]);
  });

  test('GIVEN the root\'s options THEN its folder, project, revision and sync follow them', () => {
    const f = filesOf(app({ bootstrapFolder: 'bootstrap', project: 'platform', targetRevision: 'main', automated: false, path: 'deploy', argoCdNamespace: 'gitops' }));
    const root = f.get('bootstrap/Application.argocd-applications.k8s.yaml');
    expect([root.spec.project, root.spec.source.targetRevision, root.spec.source.path, root.spec.syncPolicy.automated, root.metadata.namespace, root.spec.destination.namespace])
      .toEqual(['platform', 'main', 'deploy/argocd-applications', undefined, 'gitops', 'gitops']);
    // With projects per Application, the App's `project` is the root's only.
    expect(f.get('argocd-applications/Application.llm-team-a.k8s.yaml').spec.project).toBe('llm-team-a');
    expect(f.get('argocd-applications/AppProject.llm-team-a.k8s.yaml').metadata.namespace).toBe('gitops');
  });

  test('GIVEN rootApplication: false and ProjectMode.NONE THEN the output of 0.2: Applications only, in the App\'s project, no bootstrap folder', () => {
    const f = filesOf(app({ rootApplication: false, projects: ProjectMode.NONE, project: 'platform' }));
    expect([...f.keys()].filter(k => k.startsWith('argocd-')).sort()).toEqual([
      'argocd-applications/Application.llm-team-a.k8s.yaml', 'argocd-applications/Application.llm-team-b.k8s.yaml', 'argocd-applications/Application.platform.k8s.yaml',
    ]);
    for (const a of inFolder(f, 'argocd-applications')) expect(a.spec.project).toBe('platform');
  });
});

describe('Argo CD bootstrap: an AppProject per Application confines it', () => {
  const files = filesOf(app());
  const project = (name: string) => files.get(`argocd-applications/AppProject.${name}.k8s.yaml`);

  test('THEN each Application names its own project, whose only source is the repository and only destination its namespace', () => {
    for (const ns of ['llm-team-a', 'llm-team-b', 'platform']) {
      expect(files.get(`argocd-applications/Application.${ns}.k8s.yaml`).spec.project).toBe(ns);
      expect(project(ns).spec.sourceRepos).toEqual([repoURL]);
      expect(project(ns).spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: ns }]);
    }
  });

  test('THEN namespaceResourceWhitelist is exactly the kinds the folder holds (hook Jobs included), derived from the synthesized objects', () => {
    for (const ns of ['llm-team-a', 'llm-team-b', 'platform']) {
      const kinds = new Set(inFolder(files, ns).filter(o => o.metadata.namespace !== undefined).map(o => `${groupOf(o)}/${o.kind}`));
      expect(project(ns).spec.namespaceResourceWhitelist.map((e: any) => `${e.group}/${e.kind}`)).toEqual([...kinds].sort());
    }
    const a = project('llm-team-a').spec.namespaceResourceWhitelist.map((e: any) => `${e.group}/${e.kind}`);
    expect(a).toEqual(expect.arrayContaining(['batch/Job', 'postgresql.cnpg.io/Cluster', 'apps/Deployment', 'apps/StatefulSet']));
    expect(a).not.toContain('/Secret');
    expect(project('platform').spec.namespaceResourceWhitelist).toEqual([{ group: '', kind: 'ConfigMap' }]);
  });

  test('THEN of cluster-scoped objects only the stack\'s own Namespace, by name; none when the stack does not create it', () => {
    expect(project('llm-team-a').spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace', name: 'llm-team-a' }]);
    expect(project('llm-team-b').spec.clusterResourceWhitelist).toBeUndefined();
    expect(project('platform').spec.clusterResourceWhitelist).toBeUndefined();
  });

  test('THEN Argo CD\'s permission check admits every object of the tenant\'s folder and refuses the other tenant\'s, other kinds, other namespaces and cluster objects', () => {
    const a = project('llm-team-a');
    for (const o of inFolder(files, 'llm-team-a')) expect([o.kind, o.metadata.name, permitted(a, o)]).toEqual([o.kind, o.metadata.name, true]);
    for (const o of inFolder(files, 'llm-team-b')) expect(permitted(a, o)).toBe(false);
    const refused = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'llm-team-a' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'kube-system' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'llm-team-b' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'x', namespace: 'llm-team-a' } },
    ];
    for (const o of refused) expect([o.kind, o.metadata.name, permitted(a, o)]).toEqual([o.kind, o.metadata.name, false]);
  });

  test('GIVEN a folder whose objects name another namespace THEN that namespace is a destination too (Argo CD would refuse the sync otherwise)', () => {
    const a = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL } });
    const s = new LiteLLMStack(a, 'team-a', stackProps('llm-team-a'));
    new k8s.KubeConfigMap(s, 'Elsewhere', { metadata: { name: 'x', namespace: 'gateways' } });
    expect(filesOf(a).get('argocd-applications/AppProject.llm-team-a.k8s.yaml').spec.destinations.map((d: any) => d.namespace)).toEqual(['llm-team-a', 'gateways']);
  });

  test('GIVEN a project name set on a stack (configureApplication, a fleet tenant\'s argoCd) THEN its generated project carries that name', () => {
    const a = app();
    GitOpsApp.configureApplication(a.node.findAll().find(c => isStack(c) && c.namespace === 'llm-team-b') as Chart, { project: 'team-b' });
    const f = filesOf(a);
    expect(f.get('argocd-applications/Application.llm-team-b.k8s.yaml').spec.project).toBe('team-b');
    expect(f.get('argocd-applications/AppProject.team-b.k8s.yaml').spec.destinations[0].namespace).toBe('llm-team-b');

    const fleetApp = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL } });
    new LiteLLMFleet(fleetApp, 'tenants', {
      models: stackProps('x').models, masterKey: secret('m', 'k'), redis: { password: secret('r', 'p') },
      tenants: [{ name: 'team-x', argoCd: { project: 'x-project' } }, { name: 'team-y' }],
    });
    const ff = filesOf(fleetApp);
    expect(ff.get('argocd-applications/Application.team-x.k8s.yaml').spec.project).toBe('x-project');
    expect(ff.get('argocd-applications/AppProject.team-y.k8s.yaml').spec.destinations[0].namespace).toBe('team-y');
  });

  test('LiteLLMAppProject on its own: derives from the objects it is given', () => {
    const c = new Chart(new GitOpsApp({ outdir: '/nonexistent' }), 'c', { namespace: 'ns', disableResourceNameHashes: true });
    const cm = new k8s.KubeConfigMap(c, 'cm', { metadata: { name: 'x' } });
    const p = new LiteLLMAppProject(c, 'my-project', { namespace: 'ns', objects: [cm], repoURL });
    const json = p.project.toJson();
    expect([json.metadata.name, json.spec.namespaceResourceWhitelist, json.spec.clusterResourceWhitelist]).toEqual(['my-project', [{ group: '', kind: 'ConfigMap' }], undefined]);
    const empty = new LiteLLMAppProject(c, 'nothing', { namespace: 'ns', objects: [], repoURL }).project.toJson();
    // Nothing namespaced to permit: all denied (an unset whitelist would permit every kind).
    expect([empty.spec.namespaceResourceWhitelist, empty.spec.namespaceResourceBlacklist]).toEqual([undefined, [{ group: '*', kind: '*' }]]);
  });
});

describe('Argo CD bootstrap: bad input', () => {
  const rows: Array<[string, () => unknown, string, RegExp]> = [
    ['projects not a ProjectMode', () => new GitOpsApp({ argoCd: { repoURL, projects: 'tenant' as any } }), 'argoCd.projects',
      /^argoCd\.projects: received "tenant"; must be one of ProjectMode\.PER_APPLICATION \("perApplication"\), ProjectMode\.NONE \("none"\)$/],
    ['rootApplication not a boolean', () => new GitOpsApp({ argoCd: { repoURL, rootApplication: 'yes' as any } }), 'argoCd.rootApplication', /^argoCd\.rootApplication: received "yes"; must be true or false$/],
    ['the bootstrap folder is the Applications folder', () => new GitOpsApp({ argoCd: { repoURL, bootstrapFolder: 'argocd-applications' } }), 'argoCd.bootstrapFolder',
      /^argoCd\.bootstrapFolder: received "argocd-applications"; is also argoCd\.folder: the root Application needs a folder of its own .* e\.g\. "argocd-applications-bootstrap"$/],
    ['a bootstrap folder without a root Application', () => new GitOpsApp({ argoCd: { repoURL, rootApplication: false, bootstrapFolder: 'boot' } }), 'argoCd.bootstrapFolder',
      /^argoCd\.bootstrapFolder: received "boot"; is the folder of the root Application: leave it unset with rootApplication: false$/],
    ['a bootstrap folder that is no DNS label', () => new GitOpsApp({ argoCd: { repoURL, bootstrapFolder: 'Boot' } }), 'argoCd.bootstrapFolder', /^argoCd\.bootstrapFolder: received "Boot"; /],
    ['a stack\'s project named "default" (Argo CD\'s own) with projects per Application', () => {
      const a = app();
      GitOpsApp.configureApplication(a.node.findAll().find(c => isStack(c) && c.namespace === 'llm-team-b') as Chart, { project: 'default' });
      return a.synthFiles();
    }, 'argoCd.project', /^\[team-b\] argoCd\.project: received "default"; is Argo CD's own project, which this one would overwrite: choose another name$/],
    ['two stacks naming the same project with projects per Application', () => {
      const a = app();
      for (const ns of ['llm-team-a', 'llm-team-b']) GitOpsApp.configureApplication(a.node.findAll().find(c => isStack(c) && c.namespace === ns) as Chart, { project: 'shared' });
      return a.synthFiles();
    }, 'argoCd.project', /^\[team-b\] argoCd\.project: received "shared"; is the AppProject of both team-a and team-b: with ProjectMode\.PER_APPLICATION each Application has a project of its own/],
    ['a chart with the bootstrap folder\'s id', () => {
      const a = app();
      new Chart(a, 'argocd-bootstrap');
      return a.synthFiles();
    }, 'argoCd.bootstrapFolder', /^argoCd\.bootstrapFolder: received "argocd-bootstrap"; is already the id of a construct in the App/],
  ];
  test.each(rows)('%s', (_label, build, prop, message) => {
    expect(configErrorOf(build, prop).message).toMatch(message);
  });
});
