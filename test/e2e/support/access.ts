import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Harness, REPO_ROOT, VENV_BIN } from './harness';
import { HttpResult, request } from './http';
import { planContainer } from './manifests';
import { ensureDir } from './processes';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The reconciler's container name (lib/access/governance-reconciler.ts). */
const CONTAINER = 'reconcile';

/** Where the e2e suite keeps the Prisma stand-ins (scripts/e2e-install.sh installs them). */
export const PRISMA_SHIM = path.join(REPO_ROOT, 'test', 'e2e', 'prisma-shim');

/**
 * What the LiteLLM image provides for its database client and the local run
 * cannot download: Prisma's query engine (here the WASM build of the same
 * engine commit behind the binary's HTTP protocol, test/e2e/prisma-shim) and
 * the schema engine (a stub that only reports its version).
 */
export function prismaEnv(): Record<string, string> {
  return {
    PRISMA_QUERY_ENGINE_BINARY: path.join(PRISMA_SHIM, 'query-engine.mjs'),
    PRISMA_SCHEMA_ENGINE_BINARY: path.join(PRISMA_SHIM, 'schema-engine-stub'),
    PRISMA_BINARY_CACHE_DIR: path.join(REPO_ROOT, '.e2e', 'prisma-cache'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  };
}

export interface JobRun {
  readonly code: number;
  /** stdout and stderr, in order. */
  readonly output: string;
  readonly ms: number;
}

/** The reconciler Job among `objects`. */
export function reconcilerJob(objects: any[]): any {
  const jobs = objects.filter(o => o.kind === 'Job' && o.spec.template.spec.containers.some((c: any) => c.name === CONTAINER));
  if (jobs.length !== 1) throw new Error(`expected one reconciler Job, found ${jobs.length}`);
  return jobs[0];
}

/**
 * Runs the synthesized reconciler Job as the kubelet would: its command with
 * the image's interpreter (the venv's python), its env (Secrets -> the
 * harness's test values, the proxy Service -> the local proxy) and its
 * ConfigMap volume. `extraEnv` adds test-only settings (the request trace).
 */
export function runReconciler(h: Harness, objects: any[], runName: string, extraEnv: Record<string, string> = {}): Promise<JobRun> {
  const job = reconcilerJob(objects);
  const container = job.spec.template.spec.containers.find((c: any) => c.name === CONTAINER);
  const root = path.join(h.root, runName);
  const plan = planContainer({ objects, workload: job, containerName: CONTAINER, root, ports: new Map(), secrets: h.secrets, services: h.services });
  const [cmd, ...args] = (container.command as string[]).map(a => plan.remap(a));
  if (cmd !== 'python') throw new Error(`the reconciler runs ${cmd}; the suite expected the image's python`);
  const started = performance.now();
  return new Promise(resolve => {
    const child = execFile(path.join(VENV_BIN, 'python'), args, {
      env: { PATH: SYSTEM_PATH, HOME: ensureDir(path.join(root, 'home')), ...plan.env, ...extraEnv },
      cwd: root, timeout: 120000, maxBuffer: 16 * 1024 * 1024,
    }, () => undefined);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', code => resolve({ code: code ?? -1, output, ms: performance.now() - started }));
  });
}

/** The outcome the reconciler printed for one object (`<kind> <id> <outcome>[: detail]`). */
export function outcomeOf(run: JobRun, kind: string, id: string): string | undefined {
  const pattern = new RegExp(`^${kind} +${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +(.*)$`, 'm');
  return pattern.exec(run.output)?.[1];
}

/** Admin API calls with the master key. */
export class AdminApi {
  constructor(private readonly port: number, private readonly masterKey: string) {}

  public async call(method: string, path: string, body?: unknown): Promise<HttpResult & { json: any }> {
    const r = await request(this.port, method, path, { body, headers: { authorization: `Bearer ${this.masterKey}` }, timeoutMs: 30000 });
    let json: any;
    try {
      json = JSON.parse(r.body);
    } catch {
      json = undefined;
    }
    return { ...r, json };
  }

  public async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, body);
    if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status}: ${r.body.slice(0, 500)}`);
    return r.json;
  }

  public async team(id: string): Promise<any> {
    return (await this.ok('GET', `/team/info?team_id=${encodeURIComponent(id)}`)).team_info;
  }

  public async user(id: string): Promise<any> {
    return (await this.ok('GET', `/user/info?user_id=${encodeURIComponent(id)}`)).user_info;
  }

  /** The key row by alias (full object, with its token hash), or undefined. */
  public async key(alias: string): Promise<any> {
    const r = await this.ok('GET', `/key/list?key_alias=${encodeURIComponent(alias)}&return_full_object=true`);
    return r.keys[0];
  }

  public async budget(id: string): Promise<any> {
    const r = await this.ok('POST', '/budget/info', { budgets: [id] });
    return r[0];
  }

  public async teamIds(): Promise<string[]> {
    return (await this.ok('GET', '/v2/team/list?page_size=100')).teams.map((t: any) => t.team_id);
  }

  public async budgetIds(): Promise<string[]> {
    return (await this.ok('GET', '/budget/list')).map((b: any) => b.budget_id);
  }
}

/** The reconciler's machine-readable summary line (`litellm-access summary: k=v ...`), parsed. */
export function summaryOf(run: JobRun): Record<string, string> {
  const line = run.output.split('\n').find(l => l.startsWith('litellm-access summary: '));
  if (line === undefined) throw new Error(`no summary line in:\n${run.output}`);
  return Object.fromEntries(line.slice('litellm-access summary: '.length).trim().split(/\s+/).map(p => p.split('=', 2) as [string, string]));
}

/**
 * Records what the admin API answers to the reconciler's reads (every page of
 * the budget, team, user and key lists) into `dir`, for the planner's unit tests
 * (test/python/test_recorded.py). Refuses to write anything holding `masterKey`.
 */
export async function recordAdminState(api: AdminApi, dir: string, masterKey: string): Promise<void> {
  const answers: Record<string, unknown> = { 'budget-list': await api.ok('GET', '/budget/list') };
  const lists: Array<[string, string, string]> = [
    ['team-list', '/v2/team/list', 'page_size=100'], ['user-list', '/user/list', 'page_size=100'], ['key-list', '/key/list', 'return_full_object=true&size=100'],
  ];
  for (const [name, listPath, query] of lists) {
    for (let page = 1; page <= 100; page++) {
      const r = await api.ok('GET', `${listPath}?${query}&page=${page}`);
      answers[`${name}.page-${page}`] = r;
      if (page >= (r.total_pages ?? 1)) break;
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, doc] of Object.entries(answers)) {
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (text.includes(masterKey)) throw new Error(`the answer ${name} holds the master key: not recorded`);
    fs.writeFileSync(path.join(dir, `${name}.json`), text);
  }
}
