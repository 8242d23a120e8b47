/**
 * Open-loop load generator: requests are sent at a constant rate whatever the
 * server does (arrival i is due at t0 + i / rate), and each latency is counted
 * from the moment the request was due, not from when it could be sent. A
 * server that falls behind therefore shows its whole queueing delay (no
 * coordinated omission), and a generator that falls behind shows up too.
 * Bounded in count (rate × duration), in time (per-request timeout) and in
 * concurrency (abortInFlight: past it the step stops sending and fails).
 * Traffic goes to 127.0.0.1 only.
 */
import * as http from 'http';
import { Summary, summarize } from './stats';

const LOCALHOST = '127.0.0.1';

/** How many arrivals are due `elapsedMs` after the start at `ratePerSec` (arrival 0 at t = 0), capped at `total`. */
export function arrivalsDue(elapsedMs: number, ratePerSec: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * ratePerSec) / 1000) + 1);
}

/** When arrival `i` is due, in ms after the start. */
export function dueAt(i: number, ratePerSec: number): number {
  return (i * 1000) / ratePerSec;
}

export interface Workload {
  /** 'chat' (one JSON answer) or 'stream' (Server-Sent Events). */
  readonly kind: 'chat' | 'stream';
  /** The public model name. */
  readonly model: string;
  /** What the provider alone takes: its fixed latency, or the time from its first to its last chunk. */
  readonly providerMs: number;
  /** Content chunks a stream must deliver (streams only). */
  readonly chunks?: number;
}

export interface StepOptions {
  readonly port: number;
  /** Host header (the edge routes by it). */
  readonly host: string;
  readonly apiKey: string;
  readonly workload: Workload;
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** Arrivals in the first `warmupMs` are sent but not counted. */
  readonly warmupMs: number;
  /** Per-request bound. */
  readonly timeoutMs: number;
  /**
   * Past this many requests in flight the server has clearly fallen behind: no
   * further arrivals are sent and the step counts as failed ("aborted"), so an
   * overloaded step ends in seconds instead of queueing for minutes.
   */
  readonly abortInFlight: number;
  readonly agent: http.Agent;
  /** Updated with the requests in flight as they come and go (for an observer sampling during the step). */
  readonly live?: { inFlight: number };
}

export interface RequestRecord {
  /** ms after the step start the request was due. */
  readonly due: number;
  /** ms from due to the first response byte. */
  readonly ttfb: number;
  /** ms from due to the end of the response. */
  readonly total: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface StepResult {
  readonly offeredRps: number;
  /** Counted (after warm-up) arrivals. */
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  /** Completed ok per second over the counted window. */
  readonly achievedRps: number;
  /** Latency added to the provider's own: total − providerMs, over ok requests. */
  readonly added: Summary;
  /** Time to first byte (streams: the first chunk). */
  readonly ttfb: Summary;
  /** Mean requests in flight over the counted window (Little: rate × mean time in system). */
  readonly meanInFlight: number;
  /** Most requests in flight at once. */
  readonly peakInFlight: number;
  /** How late the generator itself sent, p99 ms (its own lag, counted in the latency). */
  readonly sendLagP99: number;
  /** Wall time of the step including the drain, ms. */
  readonly wallMs: number;
  /** The step was cut short because too many requests were in flight. */
  readonly aborted: boolean;
}

/** Runs one step: `ratePerSec` for `durationMs`, then waits (bounded) for every request to end. */
export async function runStep(o: StepOptions): Promise<StepResult> {
  const total = Math.max(1, Math.round((o.ratePerSec * o.durationMs) / 1000));
  const body = Buffer.from(JSON.stringify({
    model: o.workload.model,
    messages: [{ role: 'user', content: 'Say something short.' }],
    ...(o.workload.kind === 'stream' ? { stream: true } : {}),
  }));
  const headers = {
    host: o.host, 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${o.apiKey}`,
  };
  const records: RequestRecord[] = [];
  const lags: number[] = [];
  let inFlight = 0;
  let peak = 0;
  let sent = 0;
  let finished = 0;
  let aborted = false;
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>(r => { resolveDone = r; });
  const t0 = performance.now();

  const complete = (rec: RequestRecord): void => {
    records.push(rec);
    inFlight--;
    if (o.live) o.live.inFlight = inFlight;
    finished++;
    if (finished === sent && (aborted || sent === total)) resolveDone();
  };

  const fire = (i: number): void => {
    const due = dueAt(i, o.ratePerSec);
    const dueAbs = t0 + due;
    lags.push(performance.now() - dueAbs);
    inFlight++;
    if (o.live) o.live.inFlight = inFlight;
    peak = Math.max(peak, inFlight);
    let firstByte = NaN;
    let settled = false;
    const done = (ok: boolean, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const end = performance.now();
      complete({ due, ttfb: firstByte - dueAbs, total: end - dueAbs, ok, error });
    };
    const req = http.request({ host: LOCALHOST, port: o.port, method: 'POST', path: '/v1/chat/completions', agent: o.agent, headers }, res => {
      let text = '';
      let tail = '';
      let chunks = 0;
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        if (Number.isNaN(firstByte)) firstByte = performance.now();
        if (o.workload.kind === 'stream') {
          // Content chunks carry "tok " (the fake provider's token); count them across buffer boundaries.
          const scan = tail + s;
          let at = scan.indexOf('tok ');
          while (at >= 0) { chunks++; at = scan.indexOf('tok ', at + 4); }
          // A match needs 4 characters, so one found in (3 carried + new) always ends in the new text.
          tail = scan.slice(-3);
          text = (text + s).slice(-64);
        } else {
          text += s;
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return done(false, `http ${res.statusCode}`);
        if (o.workload.kind === 'stream') {
          if (!text.includes('[DONE]')) return done(false, 'no [DONE]');
          if (chunks < (o.workload.chunks ?? 0)) return done(false, 'missing chunks');
        }
        done(true);
      });
      res.on('error', e => done(false, `response ${e.message}`));
    });
    const timer = setTimeout(() => { req.destroy(new Error('timeout')); done(false, 'timeout'); }, o.timeoutMs);
    req.on('error', e => done(false, e.message === 'timeout' ? 'timeout' : `socket ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    req.end(body);
  };

  // The arrival clock: send whatever is due, then sleep until the next arrival (timers have 1 ms
  // granularity; lateness is measured, and counted in the latency).
  await new Promise<void>(resolve => {
    const tick = (): void => {
      const due = arrivalsDue(performance.now() - t0, o.ratePerSec, total);
      while (sent < due && !aborted) {
        fire(sent++);
        if (inFlight > o.abortInFlight) aborted = true;
      }
      if (sent >= total || aborted) resolve();
      else setTimeout(tick, Math.max(0, dueAt(sent, o.ratePerSec) - (performance.now() - t0)));
    };
    tick();
  });
  // Drain: every request has its own timeout, so this ends.
  if (finished < sent) await allDone;
  const wallMs = performance.now() - t0;

  const counted = records.filter(r => r.due >= o.warmupMs);
  const ok = counted.filter(r => r.ok);
  const errorKinds: Record<string, number> = {};
  for (const r of counted) if (!r.ok) errorKinds[r.error ?? 'error'] = (errorKinds[r.error ?? 'error'] ?? 0) + 1;
  const windowMs = o.durationMs - o.warmupMs;
  const timeInSystem = counted.reduce((s, r) => s + (Number.isFinite(r.total) ? r.total : 0), 0);
  return {
    offeredRps: o.ratePerSec,
    sent: counted.length,
    ok: ok.length,
    errors: counted.length - ok.length,
    errorKinds,
    achievedRps: (ok.length * 1000) / windowMs,
    added: summarize(ok.map(r => r.total - o.workload.providerMs)),
    ttfb: summarize(ok.map(r => r.ttfb)),
    meanInFlight: timeInSystem / windowMs,
    peakInFlight: peak,
    sendLagP99: summarize(lags).p99,
    wallMs,
    aborted,
  };
}
