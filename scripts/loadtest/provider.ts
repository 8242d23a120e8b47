/**
 * A fake OpenAI-compatible provider with a fixed latency, fast enough that it
 * is never the bottleneck of the load test (Node's event loop: one timer per
 * request or stream, responses prebuilt). Binds 127.0.0.1 only.
 *
 *   node --import tsx scripts/loadtest/provider.ts PORT
 *
 * The pace comes from the provider model name, as in test/e2e/fake_provider.py:
 * - `…sleep-N…`: a non-streaming completion answered after N ms;
 * - `…chunks-N-ms-M…` with `stream: true`: N content chunks M ms apart (the
 *   first at once, so a stream lasts (N - 1) × M ms), then the finish chunk and
 *   `data: [DONE]`.
 * GET /stats: counts; GET /health: ok.
 */
import * as http from 'http';

const LOCALHOST = '127.0.0.1';
/** Bounds: no request of the load test waits longer than this, whatever the model name says. */
const MAX_SLEEP_MS = 60_000;
const MAX_CHUNKS = 10_000;

export interface Pace {
  /** ms before a non-streaming answer. */
  readonly sleepMs: number;
  /** Content chunks of a stream. */
  readonly chunks: number;
  /** ms between chunks. */
  readonly intervalMs: number;
}

/** The pace a provider model name asks for (defaults: answer at once, 5 chunks 20 ms apart). */
export function paceOf(model: string): Pace {
  const num = (re: RegExp, dflt: number, max: number): number => {
    const m = re.exec(model);
    return m ? Math.min(Number(m[1]), max) : dflt;
  };
  return {
    sleepMs: num(/sleep-(\d+)/, 0, MAX_SLEEP_MS),
    chunks: num(/chunks-(\d+)/, 5, MAX_CHUNKS),
    intervalMs: num(/ms-(\d+)/, 20, MAX_SLEEP_MS),
  };
}

const stats = { completions: 0, streams: 0, activeStreams: 0, maxActiveStreams: 0, aborted: 0 };

function completionBody(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-loadtest', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'A fixed answer from the fake provider.' } }],
    usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
  });
}

function chunk(model: string, delta: Record<string, string>, finish: string | null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-loadtest', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

function stream(res: http.ServerResponse, model: string, pace: Pace): void {
  stats.streams++;
  stats.activeStreams++;
  stats.maxActiveStreams = Math.max(stats.maxActiveStreams, stats.activeStreams);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const content = chunk(model, { content: 'tok ' }, null);
  res.write(chunk(model, { role: 'assistant', content: '' }, null) + content);
  let sent = 1;
  let timer: NodeJS.Timeout | undefined;
  let open = true;
  const started = performance.now();
  const finish = (aborted: boolean): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    open = false;
    stats.activeStreams--;
    if (aborted) stats.aborted++;
  };
  res.on('close', () => { if (open) finish(true); });
  // Chunk i is due at start + i × interval (absolute, so timer lateness does not add up over a stream).
  const next = (): void => {
    if (!open) return;
    if (sent >= pace.chunks) {
      finish(false);
      res.end(`${chunk(model, {}, 'stop')}data: [DONE]\n\n`);
      return;
    }
    timer = setTimeout(() => {
      res.write(content);
      sent++;
      next();
    }, Math.max(0, started + sent * pace.intervalMs - performance.now()));
  };
  next();
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET') {
    const body = url === '/stats' ? JSON.stringify(stats) : url === '/health' || url === '/' ? '{"ok":true}' : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{"error":{"message":"not found"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (!url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
      return;
    }
    let body: any = {};
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      // an empty or broken body is answered like a request without options
    }
    const model = String(body.model ?? 'fake');
    const pace = paceOf(model);
    stats.completions++;
    if (body.stream === true) {
      stream(res, model, pace);
      return;
    }
    const payload = completionBody(model);
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    if (pace.sleepMs > 0) setTimeout(answer, pace.sleepMs);
    else answer();
  });
}

if (require.main === module) {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write('usage: provider.ts PORT\n');
    process.exit(2);
  }
  const server = http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, handle);
  server.headersTimeout = 120_000;
  server.listen(port, LOCALHOST, () => process.stdout.write(`fake provider on ${LOCALHOST}:${port}\n`));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
}
