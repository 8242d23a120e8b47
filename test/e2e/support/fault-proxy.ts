import * as http from 'http';
import * as net from 'net';
import { LOCALHOST } from './http';

/** What the fault proxy does with one request. */
export type Fault =
  | 'pass'
  /** Answer 500 without forwarding: the proxy failed before writing anything. */
  | 'error'
  /** Forward, then answer 500 instead of the real answer: the write happened, its answer is lost. */
  | 'error-after'
  /** Hold the request without forwarding and never answer (the client times out). */
  | 'hang'
  /** Forward, then hold the answer back (the client times out although the write happened). */
  | 'hang-after'
  /** Forward, then drop the last item of the list in the answer (a short page). */
  | 'short-page';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** 0-based, over all requests. */
  readonly index: number;
  /** 0-based among POSTs, or -1 for other methods. */
  readonly writeIndex: number;
  fault: Fault;
  /** Status the client got, or 0 (reset, held). */
  status: number;
}

/** Longest a held request is kept open: longer than any client timeout the tests set, bounded. */
const HOLD_MS = 20000;

/**
 * A loopback HTTP proxy in front of LiteLLM that injects faults into chosen
 * admin API requests: what a Service in front of a failing proxy looks like to
 * the reconciler Job. `rule` decides per request; `onRequest` may act on the
 * world first (kill the proxy, stop the database). When the upstream refuses
 * connections (the proxy is down), the client's connection is reset, as with
 * a Service without ready endpoints.
 */
export class FaultProxy {
  public rule: (r: SeenRequest) => Fault = () => 'pass';
  public onRequest?: (r: SeenRequest) => void | Promise<void>;
  public readonly seen: SeenRequest[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: http.Server, public readonly port: number, public upstreamPort: number) {}

  public static async start(upstreamPort: number): Promise<FaultProxy> {
    let self: FaultProxy | undefined;
    const server = http.createServer((req, res) => void self!.handle(req, res));
    await new Promise<void>(resolve => server.listen(0, LOCALHOST, resolve));
    self = new FaultProxy(server, (server.address() as net.AddressInfo).port, upstreamPort);
    server.on('connection', s => {
      self!.sockets.add(s);
      s.on('close', () => self!.sockets.delete(s));
    });
    return self;
  }

  /** Resets the rule and the record. */
  public reset(): void {
    this.rule = () => 'pass';
    this.onRequest = undefined;
    this.seen.length = 0;
  }

  public get writes(): SeenRequest[] {
    return this.seen.filter(r => r.writeIndex >= 0);
  }

  public async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private hold(res: http.ServerResponse, r: SeenRequest): void {
    r.status = 0;
    const t = setTimeout(() => { this.timers.delete(t); res.destroy(); }, HOLD_MS);
    this.timers.add(t);
    res.on('close', () => { clearTimeout(t); this.timers.delete(t); });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const writes = this.seen.filter(s => s.writeIndex >= 0).length;
    const r: SeenRequest = {
      method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], index: this.seen.length,
      writeIndex: req.method === 'POST' ? writes : -1, fault: 'pass', status: 0,
    };
    this.seen.push(r);
    r.fault = this.rule(r);
    await this.onRequest?.(r);
    if (r.fault === 'error') {
      r.status = 500;
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: { error: 'injected fault' } }));
      return;
    }
    if (r.fault === 'hang') {
      this.hold(res, r);
      return;
    }
    const upstream = http.request({
      host: LOCALHOST, port: this.upstreamPort, method: req.method, path: req.url, agent: false,
      headers: { ...req.headers, host: `${LOCALHOST}:${this.upstreamPort}`, 'content-length': String(body.length) },
    }, up => {
      const got: Buffer[] = [];
      up.on('data', (c: Buffer) => got.push(c));
      up.on('error', () => res.destroy());
      up.on('end', () => {
        let payload: Buffer = Buffer.concat(got);
        if (r.fault === 'error-after') {
          r.status = 500;
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: { error: 'injected fault after the write' } }));
          return;
        }
        if (r.fault === 'hang-after') {
          this.hold(res, r);
          return;
        }
        if (r.fault === 'short-page') payload = dropLastItem(payload);
        r.status = up.statusCode ?? 0;
        const headers = { ...up.headers, 'content-length': String(payload.length) };
        delete headers['transfer-encoding'];
        res.writeHead(r.status, headers).end(payload);
      });
    });
    // The proxy is down (refused) or died mid-request (reset): reset the client's connection too.
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }
}

/** The answer of a list endpoint without its last item; totals untouched. */
function dropLastItem(payload: Buffer): Buffer {
  const doc = JSON.parse(payload.toString('utf8'));
  for (const k of ['teams', 'users', 'keys']) {
    if (Array.isArray(doc?.[k]) && doc[k].length > 0) doc[k].pop();
  }
  return Buffer.from(JSON.stringify(doc));
}
