import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { LiteLLMConfigError } from '../errors';
import { boolean, dns1123Label, enumValue, nonEmptyString } from '../validate';
import { ApplicationOverrides, LiteLLMApplication } from '../stack/argocd-application';
import { LiteLLMStack } from '../stack/litellm-stack';
import { LiteLLMAppProject, _rememberRendered } from './argocd-project';

/** Which Argo CD AppProjects the generated Applications belong to. */
export enum ProjectMode {
  /**
   * An AppProject per Application (so per stack, and per tenant of a fleet), generated next to it:
   * its Git repository, its namespace and exactly the kinds its folder holds (see {@link LiteLLMAppProject}).
   * Per Application rather than one per fleet: a project shared by tenants would let one tenant's
   * Application deploy into another tenant's namespace.
   */
  PER_APPLICATION = 'perApplication',
  /** No AppProject: every Application names `project` (or its own), which must exist (the output of 0.2). */
  NONE = 'none',
}

/** Argo CD Applications for every folder of the output. */
export interface GitOpsArgoCdOptions {
  /** Git repository that holds the synthesized output. */
  readonly repoURL: string;
  /** Folder of the output in that repository: each Application syncs `<path>/<folder>`. @default 'dist' */
  readonly path?: string;
  /** Folder (and chart id) of the generated Applications. @default 'argocd-applications' */
  readonly folder?: string;
  /** Branch, tag or commit. @default 'HEAD' */
  readonly targetRevision?: string;
  /**
   * Argo CD project of the root Application, and with `ProjectMode.NONE` of every Application
   * that does not name its own (with `ProjectMode.PER_APPLICATION` each has a project of its own).
   * @default 'default'
   */
  readonly project?: string;
  /** Cluster API server. @default 'https://kubernetes.default.svc' */
  readonly destinationServer?: string;
  /** Namespace Argo CD watches for Applications. @default 'argocd' */
  readonly argoCdNamespace?: string;
  /** Sync automatically, pruning removed objects and undoing drift. @default true */
  readonly automated?: boolean;
  /**
   * Emit a root Application (app of apps) that syncs the Applications folder, into a folder of its
   * own (`bootstrapFolder`): applied once by hand, it brings in every AppProject and Application,
   * and every one added, changed or removed later. `false`: the Applications folder is applied by hand.
   * @default true
   */
  readonly rootApplication?: boolean;
  /** Folder (and chart id) of the root Application. @default 'argocd-bootstrap' */
  readonly bootstrapFolder?: string;
  /** The AppProjects of the Applications. @default ProjectMode.PER_APPLICATION */
  readonly projects?: ProjectMode;
}

/** Props of {@link GitOpsApp}. */
export interface GitOpsAppProps {
  /** Where `synth` writes the output. @default CDK8S_OUTDIR if set, else 'dist' (cdk8s's App default) */
  readonly outdir?: string;
  /** Extension of every file. @default '.k8s.yaml' */
  readonly outputFileExtension?: string;
  /** Generate an Argo CD Application for every stack folder (and every other folder whose chart has a namespace). @default none */
  readonly argoCd?: GitOpsArgoCdOptions;
}

/** One folder of the output. */
export interface GitOpsFolder {
  /** Folder name: a stack's namespace, or the chart's path joined with `-`. */
  readonly name: string;
  /** The chart whose objects it holds. */
  readonly chart: Chart;
  /** Where its objects deploy: the stack's (or chart's) namespace. @default none (the Applications and root Application folders) */
  readonly namespace?: string;
  /** Whether the chart is a LiteLLMStack. */
  readonly stack: boolean;
  /** The objects whose nearest chart is `chart`. */
  readonly objects: ApiObject[];
}

const applicationOptions = new WeakMap<Chart, ApplicationOverrides>();
const DEFAULT_FOLDER = 'argocd-applications';
const DEFAULT_BOOTSTRAP_FOLDER = 'argocd-bootstrap';

/**
 * An App that writes GitOps output for a fleet: one folder per stack, named
 * by the stack's namespace whatever the nesting (no index prefix, no hash,
 * no empty folder for a chart that only holds other charts), one file per
 * object (`<Kind>.<name>.k8s.yaml`), the same bytes on every run; objects of
 * other charts (your own) go to a folder per non-empty chart named by its path
 * (`platform/sub` → `platform-sub`). With `argoCd`, it adds an Argo CD
 * Application per folder into `argocd-applications/`, each with an AppProject
 * that confines it to its namespace and kinds, and a root Application (app of
 * apps) in `argocd-bootstrap/` that syncs them: the one file applied by hand.
 * Validates the App once, so
 * synthesis stays linear in the number of stacks (cdk8s's own folder output
 * re-validates the whole App for every chart).
 */
export class GitOpsApp extends App {
  /** Sets what one stack's (or chart's) generated Application does differently, e.g. its Argo CD project. */
  public static configureApplication(chart: Chart, options: ApplicationOverrides): void {
    if (typeof options !== 'object' || options === null) {
      throw new LiteLLMConfigError('argoCd', options, 'must be { project?, targetRevision?, automated? }');
    }
    applicationOptions.set(chart, options);
  }

  /** The Argo CD options, when Applications are generated. */
  public readonly argoCd?: GitOpsArgoCdOptions;
  private applications?: Chart;
  private bootstrap?: Chart;

  constructor(props: GitOpsAppProps = {}) {
    super({ outdir: props.outdir, outputFileExtension: props.outputFileExtension });
    if (props.argoCd !== undefined) {
      if (typeof props.argoCd !== 'object' || props.argoCd === null) {
        throw new LiteLLMConfigError('argoCd', props.argoCd, 'must be { repoURL, path?, folder?, targetRevision?, project?, ... }');
      }
      nonEmptyString('argoCd.repoURL', props.argoCd.repoURL);
      const folder = dns1123Label('argoCd.folder', props.argoCd.folder ?? DEFAULT_FOLDER);
      if (props.argoCd.automated !== undefined) boolean('argoCd.automated', props.argoCd.automated);
      if (props.argoCd.rootApplication !== undefined) boolean('argoCd.rootApplication', props.argoCd.rootApplication);
      if (props.argoCd.projects !== undefined) enumValue('argoCd.projects', props.argoCd.projects, ProjectMode, 'ProjectMode');
      if (props.argoCd.bootstrapFolder !== undefined && props.argoCd.rootApplication === false) {
        throw new LiteLLMConfigError('argoCd.bootstrapFolder', props.argoCd.bootstrapFolder, 'is the folder of the root Application: leave it unset with rootApplication: false');
      }
      const bootstrap = dns1123Label('argoCd.bootstrapFolder', props.argoCd.bootstrapFolder ?? DEFAULT_BOOTSTRAP_FOLDER);
      if (bootstrap === folder && props.argoCd.rootApplication !== false) {
        throw new LiteLLMConfigError('argoCd.bootstrapFolder', bootstrap, `is also argoCd.folder: the root Application needs a folder of its own (it syncs "${folder}"), e.g. "${folder}-bootstrap"`);
      }
      this.argoCd = props.argoCd;
    }
  }

  /** The folders the output has, by name. Builds the Applications first when `argoCd` is set. */
  public folders(): GitOpsFolder[] {
    if (this.argoCd !== undefined) this.buildApplications(this.argoCd);
    return collectFolders(this, this.ownCharts());
  }

  /** Every file of the output (relative path → YAML), after validating the App once. */
  public synthFiles(): { [path: string]: string } {
    const folders = this.folders();
    validateApp(this);
    const files: { [path: string]: string } = {};
    for (const folder of folders) {
      const kinds = new Map<string, ApiObject>();
      for (const obj of folder.objects) {
        // cdk8s's file names (FOLDER_PER_CHART_FILE_PER_RESOURCE).
        const base = `${obj.kind}.${obj.name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
        const other = kinds.get(base);
        if (other !== undefined) {
          throw new LiteLLMConfigError('metadata.name', obj.name,
            `${obj.kind} ${obj.name} is emitted twice into folder ${folder.name} (${other.node.path} and ${obj.node.path}); one would overwrite the other: rename one`,
            folder.chart.node.path);
        }
        kinds.set(base, obj);
        const json = obj.toJson();
        // The AppProjects derive from these objects; their folder comes after the stacks' (built last).
        _rememberRendered(obj, json);
        files[`${folder.name}/${base}${this.outputFileExtension}`] = Yaml.stringify(json);
      }
    }
    return files;
  }

  /** Writes the output into `outdir` (the cdk8s CLI empties it first). */
  public synth(): void {
    const files = this.synthFiles();
    const made = new Set<string>();
    for (const [file, text] of Object.entries(files)) {
      const dir = path.join(this.outdir, path.dirname(file));
      if (!made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      fs.writeFileSync(path.join(this.outdir, file), text, { encoding: 'utf8' });
    }
  }

  /** The charts the App adds itself (the Applications, the root Application). */
  private ownCharts(): Set<Chart> {
    return new Set([this.applications, this.bootstrap].filter((c): c is Chart => c !== undefined));
  }

  /** (Re)builds the Applications chart (and the root Application's) from the folders the App has now. */
  private buildApplications(argoCd: GitOpsArgoCdOptions): void {
    const id = argoCd.folder ?? DEFAULT_FOLDER;
    const rootId = argoCd.rootApplication === false ? undefined : argoCd.bootstrapFolder ?? DEFAULT_BOOTSTRAP_FOLDER;
    for (const own of this.ownCharts()) this.node.tryRemoveChild(own.node.id);
    this.applications = undefined;
    this.bootstrap = undefined;
    const targets = collectFolders(this, new Set()).filter(f => f.namespace !== undefined);
    for (const [prop, chartId] of [['argoCd.folder', id], ['argoCd.bootstrapFolder', rootId]] as const) {
      if (chartId !== undefined && this.node.tryFindChild(chartId) !== undefined) {
        throw new LiteLLMConfigError(prop, chartId, 'is already the id of a construct in the App: the Argo CD chart needs it; choose another folder');
      }
    }
    const perApplication = (argoCd.projects ?? ProjectMode.PER_APPLICATION) === ProjectMode.PER_APPLICATION;
    const path = argoCd.path ?? 'dist';
    const chart = new Chart(this, id, { disableResourceNameHashes: true });
    const projects = new Map<string, string>();
    for (const folder of [...targets].sort((a, b) => a.name.localeCompare(b.name))) {
      const own = applicationOptions.get(folder.chart) ?? {};
      let project = own.project ?? argoCd.project;
      if (perApplication) {
        project = own.project ?? folder.name;
        const other = projects.get(project);
        if (other !== undefined) {
          throw new LiteLLMConfigError('argoCd.project', project,
            `is the AppProject of both ${other} and ${folder.chart.node.path}: with ProjectMode.PER_APPLICATION each Application has a project of its own; give them different names`,
            folder.chart.node.path);
        }
        projects.set(project, folder.chart.node.path);
        try {
          new LiteLLMAppProject(chart, `Project-${folder.name}`, {
            name: project,
            namespace: folder.namespace!,
            objects: folder.objects,
            repoURL: argoCd.repoURL,
            destinationServer: argoCd.destinationServer,
            argoCdNamespace: argoCd.argoCdNamespace,
          });
        } catch (e) {
          // A project name the stack gave (GitOpsApp.configureApplication, a fleet tenant's argoCd) is reported there.
          throw e instanceof LiteLLMConfigError ? e.withProp(e.prop === 'name' ? 'argoCd.project' : `argoCd.${e.prop}`).at(folder.chart.node.path) : e;
        }
      }
      new LiteLLMApplication(chart, folder.name, {
        namespace: folder.namespace!,
        repoURL: argoCd.repoURL,
        path: `${path}/${folder.name}`,
        targetRevision: own.targetRevision ?? argoCd.targetRevision,
        project,
        destinationServer: argoCd.destinationServer,
        argoCdNamespace: argoCd.argoCdNamespace,
        automated: own.automated ?? argoCd.automated,
      });
    }
    this.applications = chart;
    if (rootId !== undefined) {
      const argoCdNamespace = argoCd.argoCdNamespace ?? 'argocd';
      this.bootstrap = new Chart(this, rootId, { disableResourceNameHashes: true });
      // The app of apps: Applications and AppProjects live in Argo CD's own namespace.
      const root = new LiteLLMApplication(this.bootstrap, id, {
        namespace: argoCdNamespace,
        repoURL: argoCd.repoURL,
        path: `${path}/${id}`,
        targetRevision: argoCd.targetRevision,
        project: argoCd.project,
        destinationServer: argoCd.destinationServer,
        argoCdNamespace,
        automated: argoCd.automated,
      });
      // Deleting the root Application leaves the Applications (and every gateway) in place: without
      // the finalizer the deletion does not cascade. A tenant removed from the code is still pruned.
      root.application.addJsonPatch(JsonPatch.remove('/metadata/finalizers'));
    }
  }
}

/** Objects by nearest chart, one walk over the App; folders named and checked for collisions. */
function collectFolders(app: App, own: Set<Chart>): GitOpsFolder[] {
  const nearest = new Map<IConstruct, Chart | undefined>();
  const chartOf = (c: IConstruct): Chart | undefined => {
    if (nearest.has(c)) return nearest.get(c);
    const found = Chart.isChart(c) ? c : c.node.scope !== undefined ? chartOf(c.node.scope) : undefined;
    nearest.set(c, found);
    return found;
  };
  const byChart = new Map<Chart, ApiObject[]>();
  for (const node of app.node.findAll()) {
    if (!(node instanceof ApiObject)) continue;
    const chart = chartOf(node.node.scope!);
    if (chart === undefined) continue;
    let list = byChart.get(chart);
    if (list === undefined) byChart.set(chart, list = []);
    list.push(node);
  }
  const folders: GitOpsFolder[] = [];
  const names = new Map<string, Chart>();
  for (const [chart, objects] of byChart) {
    const stack = isStack(chart);
    let name: string;
    if (stack) name = chart.namespace!;
    else if (own.has(chart)) name = chart.node.id;
    else name = folderName(chart);
    const other = names.get(name);
    // Two stacks in one namespace: left to the App-wide namespace check, which explains it better.
    if (other !== undefined && stack && isStack(other)) continue;
    if (other !== undefined) {
      throw new LiteLLMConfigError('folder', name,
        `both ${other.node.path} and ${chart.node.path} would be written to folder ${name}/: a stack's folder is its namespace, another chart's its path `
        + 'joined with "-"; rename the chart or change the namespace', chart.node.path);
    }
    names.set(name, chart);
    folders.push({ name, chart, namespace: own.has(chart) ? undefined : chart.namespace, stack, objects });
  }
  return folders;
}

/**
 * Whether a chart is a LiteLLMStack. Not `instanceof`: cdk8s's Chart answers
 * `instanceof` for every chart (Symbol.hasInstance), subclasses included.
 */
export function isStack(c: unknown): c is LiteLLMStack {
  return Object.prototype.isPrototypeOf.call(LiteLLMStack.prototype, c as object);
}

/** `platform/Sub_1` → `platform-sub-1`. */
function folderName(chart: Chart): string {
  const name = chart.node.path.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (name === '') throw new LiteLLMConfigError('folder', chart.node.path, 'a chart\'s folder is its path: give the chart an id with letters or digits', chart.node.path);
  return name;
}

/** cdk8s's validation of the whole App (App.synth does the same), run once. */
function validateApp(app: App): void {
  const errors: string[] = [];
  for (const node of app.node.findAll()) {
    for (const error of node.node.validate()) errors.push(`[${node.node.path}] ${error}`);
  }
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}
