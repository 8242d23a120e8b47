import * as fs from 'fs';
import * as path from 'path';
import { LOCALHOST, request, waitFor } from './http';
import { Proc, ensureDir, logPath } from './processes';

/**
 * A real nginx configured the way ingress-nginx renders our Ingress: the
 * annotations the library writes become the same nginx directives (the
 * controller's template, docs/user-guide/nginx-configuration/annotations.md),
 * on top of the controller defaults that matter for streaming and failover
 * (configmap.md: proxy-next-upstream "error timeout", 3 tries, upstream
 * keep-alive). An annotation this file does not know is an error, so a
 * library change cannot slip past the edge test.
 */

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** Annotation -> directive. */
const DIRECTIVES: Record<string, (v: string) => string> = {
  'proxy-buffering': v => `proxy_buffering ${v};`,
  'proxy-http-version': v => `proxy_http_version ${v};`,
  'proxy-read-timeout': v => `proxy_read_timeout ${v}s;`,
  'proxy-send-timeout': v => `proxy_send_timeout ${v}s;`,
  'proxy-connect-timeout': v => `proxy_connect_timeout ${v}s;`,
  'proxy-body-size': v => `client_max_body_size ${v};`,
};

/** Annotations with no meaning for plain-HTTP traffic from 127.0.0.1, and why. */
const NOT_APPLICABLE: Record<string, string> = {
  'ssl-redirect': 'the test speaks plain HTTP to the controller',
  'allowlist-source-range': 'test traffic comes from 127.0.0.1',
};

export interface EdgeProxy {
  readonly port: number;
  readonly proc: Proc;
  readonly conf: string;
  stop(): Promise<void>;
}

/** The nginx.conf for `ingress`, forwarding to the local ports of the proxy replicas. */
export function nginxConf(ingress: any, upstreamPorts: readonly number[], listenPort: number, root: string): string {
  const directives: string[] = [];
  for (const [key, value] of Object.entries<string>(ingress.metadata.annotations ?? {})) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    if (DIRECTIVES[name]) directives.push(DIRECTIVES[name](value));
    else if (NOT_APPLICABLE[name] === undefined) throw new Error(`the edge test does not know annotation ${key}`);
  }
  const rule = ingress.spec.rules[0];
  const location = rule.http.paths[0].path;
  return `
worker_processes 1;
error_log ${path.join(root, 'error.log')} info;
pid ${path.join(root, 'nginx.pid')};
events { worker_connections 256; }
http {
  access_log ${path.join(root, 'access.log')};
  client_body_temp_path ${path.join(root, 'client_body')};
  proxy_temp_path ${path.join(root, 'proxy_temp')};
  fastcgi_temp_path ${path.join(root, 'fastcgi_temp')};
  uwsgi_temp_path ${path.join(root, 'uwsgi_temp')};
  scgi_temp_path ${path.join(root, 'scgi_temp')};
  upstream litellm {
${upstreamPorts.map(p => `    server ${LOCALHOST}:${p};`).join('\n')}
    keepalive 320;
  }
  server {
    listen ${LOCALHOST}:${listenPort};
    server_name ${rule.host};
    location ${location} {
      proxy_pass http://litellm;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      ${directives.join('\n      ')}
    }
  }
}
`;
}

/**
 * Starts nginx (foreground, its own prefix directory) in front of the given proxy ports.
 * `tune` adjusts the rendered configuration (the load test sets the controller's defaults for load).
 */
export async function startEdge(ingress: any, upstreamPorts: readonly number[], listenPort: number, root: string,
  tune: (conf: string) => string = conf => conf): Promise<EdgeProxy> {
  ensureDir(root);
  for (const d of ['client_body', 'proxy_temp', 'fastcgi_temp', 'uwsgi_temp', 'scgi_temp']) ensureDir(path.join(root, d));
  const conf = tune(nginxConf(ingress, upstreamPorts, listenPort, root));
  const file = path.join(root, 'nginx.conf');
  fs.writeFileSync(file, conf);
  const nginx = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const proc = new Proc('nginx', nginx, ['-p', root, '-c', file, '-g', 'daemon off;'], {
    env: { PATH: '/usr/sbin:/usr/bin:/bin' }, cwd: root, logFile: logPath(root, 'nginx-stdout'),
  });
  await waitFor('nginx', async () => {
    if (!proc.running) throw new Error(`nginx exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
    return (await request(listenPort, 'GET', '/', { timeoutMs: 2000, headers: { host: ingress.spec.rules[0].host } }).catch(() => undefined)) ? true : undefined;
  }, 10000);
  return { port: listenPort, proc, conf, stop: async () => { await proc.stop(2000); } };
}
