import * as http from 'http';
import * as net from 'net';

/** Every request of the suite goes here and nowhere else. */
export const LOCALHOST = '127.0.0.1';

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly ms: number;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Whole-request bound. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * One HTTP request on a fresh connection (no keep-alive pool: a test that
 * stops an instance must see what a new client would see).
 */
export function request(port: number, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const start = performance.now();
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: LOCALHOST, port, method, path, agent: false,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...opts.headers,
      },
    }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} :${port}${path} timed out after ${opts.timeoutMs ?? 30000} ms`)), opts.timeoutMs ?? 30000);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(payload);
  });
}

export interface SseEvent {
  /** ms since the request was sent. */
  readonly t: number;
  readonly data: string;
}

export interface StreamResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  /** The stream ended with `data: [DONE]`. */
  readonly done: boolean;
  readonly totalMs: number;
  /** When the request was sent (performance.now()). */
  readonly startedAt: number;
  /** When the response ended (performance.now()). */
  readonly endedAt: number;
}

/** A streamed chat completion, read as Server-Sent Events with the arrival time of each event. */
export function stream(port: number, path: string, body: unknown, opts: RequestOptions & { onEvent?: (e: SseEvent) => void } = {}): Promise<StreamResult> {
  const startedAt = performance.now();
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = http.request({
      host: LOCALHOST, port, method: 'POST', path, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...opts.headers },
    }, res => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        buffer += text.replace(/\r\n/g, '\n');
        let idx: number;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const data = raw.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trim()).join('\n');
          if (data === '') continue;
          const e = { t: performance.now() - startedAt, data };
          events.push(e);
          opts.onEvent?.(e);
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        const endedAt = performance.now();
        resolve({
          status: res.statusCode ?? 0, headers: res.headers, events,
          done: events.some(e => e.data === '[DONE]'), totalMs: endedAt - startedAt, startedAt, endedAt,
        });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`stream :${port}${path} timed out after ${opts.timeoutMs ?? 60000} ms`)), opts.timeoutMs ?? 60000);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(payload);
  });
}

/** Content chunks of a chat-completion stream (events carrying a non-empty delta.content). */
export function contentChunks(events: readonly SseEvent[]): SseEvent[] {
  return events.filter(e => {
    if (e.data === '[DONE]') return false;
    try {
      const content = JSON.parse(e.data)?.choices?.[0]?.delta?.content;
      return typeof content === 'string' && content !== '';
    } catch {
      return false;
    }
  });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOCALHOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a TCP connection to the port is accepted (bounded by timeoutMs). */
export function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise(resolve => {
    const sock = net.connect({ host: LOCALHOST, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

/** `p`, or undefined after `ms`; the timer is cleared either way (no handle outlives the suite). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(r => { timer = setTimeout(() => r(undefined), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value other than undefined; bounded in time. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
