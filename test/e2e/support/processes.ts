import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { within } from './http';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() at exit. */
  readonly at: number;
}

/**
 * A child process in its own process group (detached), output to a log file.
 * Every one is remembered so {@link killAll} can end them, also on failure.
 */
export class Proc {
  public readonly child: ChildProcess;
  public readonly exited: Promise<Exit>;
  public exit?: Exit;

  constructor(public readonly name: string, command: string, args: readonly string[], opts: { env: Record<string, string>; cwd: string; logFile: string }) {
    const fd = fs.openSync(opts.logFile, 'a');
    this.child = spawn(command, [...args], { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.logFile = opts.logFile;
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        resolve(this.exit);
      });
    });
    RUNNING.add(this);
    void this.exited.then(() => RUNNING.delete(this));
  }

  public readonly logFile: string;

  public get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  public get running(): boolean {
    return this.exit === undefined;
  }

  /** Sends a signal to the process itself (as the kubelet does to the container's main process). */
  public signal(sig: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, sig);
  }

  /** SIGKILL to the whole process group (the process and anything it started). */
  public killGroup(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Stops the process: SIGTERM, then SIGKILL to the group after `graceMs`. */
  public async stop(graceMs = 5000): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.signal('SIGTERM');
    const exit = await within(this.exited, graceMs);
    if (exit) return exit;
    this.killGroup();
    return this.exited;
  }

  /** The last lines of the log, for failure messages. */
  public tail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

const RUNNING = new Set<Proc>();

/** SIGKILL to every process group the suite started and still runs; waits (bounded) until they are gone. */
export async function killAll(): Promise<void> {
  const procs = [...RUNNING];
  for (const p of procs) p.killGroup();
  await within(Promise.all(procs.map(p => p.exited)), 5000);
}

// Last resort if jest exits without afterAll (e.g. a crash): no process may outlive the suite.
process.once('exit', () => {
  for (const p of RUNNING) p.killGroup();
});

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logPath(dir: string, name: string): string {
  return path.join(ensureDir(dir), `${name}.log`);
}

/**
 * `pid` and every process below it (from /proc): PostgreSQL's backends, for one, each start a
 * session of their own (setsid), so a signal to the postmaster's process group misses them.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}
