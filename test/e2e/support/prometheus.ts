import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { LOCALHOST, freePort, request, waitFor } from './http';
import { Proc, ensureDir, logPath } from './processes';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A scrape target: a local proxy port and the target labels Kubernetes discovery would give it. */
export interface Target {
  readonly port: number;
  readonly labels: Record<string, string>;
}

export interface PrometheusServer {
  readonly port: number;
  readonly proc: Proc;
  /** Active alerts (pending or firing) by name. */
  alerts(): Promise<Array<{ name: string; state: string; labels: Record<string, string>; activeAt: string }>>;
  /** An instant query's result. */
  query(expr: string): Promise<any[]>;
}

/**
 * A real Prometheus (Debian's `prometheus` package) on 127.0.0.1: it scrapes
 * the proxies' /metrics/ as a ServiceMonitor would (same path, target labels
 * namespace and pod) and evaluates `ruleFile` every `intervalSeconds`.
 */
export async function startPrometheus(dir: string, targets: readonly Target[], ruleFile: unknown, metricsPath: string, intervalSeconds = 1): Promise<PrometheusServer> {
  ensureDir(dir);
  const rules = path.join(dir, 'rules.yaml');
  fs.writeFileSync(rules, stringify(ruleFile));
  const config = {
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    rule_files: [rules],
    scrape_configs: [{
      job_name: 'litellm',
      metrics_path: metricsPath,
      static_configs: targets.map(t => ({ targets: [`${LOCALHOST}:${t.port}`], labels: t.labels })),
    }],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const proc = new Proc('prometheus', 'prometheus', [
    `--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=${LOCALHOST}:${port}`,
    '--log.level=warn', '--storage.tsdb.retention.time=1h',
  ], { env: { PATH: SYSTEM_PATH, HOME: dir }, cwd: dir, logFile: logPath(dir, 'prometheus') });
  const api = async (p: string): Promise<any> => {
    const r = await request(port, 'GET', p, { timeoutMs: 5000 });
    if (r.status !== 200) throw new Error(`prometheus ${p}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body).data;
  };
  await waitFor('prometheus ready', async () => {
    if (!proc.running) throw new Error(`prometheus exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
    const r = await request(port, 'GET', '/-/ready', { timeoutMs: 2000 }).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  }, 30000, 200);
  return {
    port, proc,
    alerts: async () => (await api('/api/v1/alerts')).alerts.map((a: any) => ({ name: a.labels.alertname, state: a.state, labels: a.labels, activeAt: a.activeAt })),
    query: async expr => (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
  };
}

/** Sample names in a Prometheus text exposition (what a scrape stores: `_bucket`, `_total`, ...). */
export function sampleNames(exposition: string): Set<string> {
  return new Set(exposition.split('\n').filter(l => l !== '' && !l.startsWith('#')).map(l => l.split(/[{ ]/)[0]));
}
