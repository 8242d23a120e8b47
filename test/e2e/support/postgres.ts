import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOCALHOST, freePort, waitFor } from './http';
import { Proc, logPath } from './processes';

/**
 * A throwaway PostgreSQL (Debian's `postgresql` package, installed by
 * scripts/e2e-install.sh) on 127.0.0.1, with LiteLLM's schema applied.
 *
 * The schema: the image's migration Job runs `prisma migrate deploy`, which
 * needs Prisma's schema engine, a binary downloaded from binaries.prisma.sh
 * (unreachable here). The suite applies the same migration.sql files of the
 * installed litellm-proxy-extras with psql instead and records each in
 * `_prisma_migrations` with Prisma's checksum (sha256 of the file), as
 * `migrate deploy` would.
 */
export interface PostgresServer {
  readonly port: number;
  readonly proc: Proc;
  /** The throwaway directory (data, socket); remove it once the server has stopped. */
  readonly dir: string;
  /** postgresql://postgres@127.0.0.1:<port>/<database> (trust authentication, loopback only). */
  url(database: string): string;
  /** Runs SQL as the superuser; returns psql's unaligned output. */
  sql(database: string, sql: string): string;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The newest installed server's bin directory. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter(v => fs.existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (scripts/e2e-install.sh installs the postgresql package)');
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/**
 * Sends `signal` to the server and every process under it. A group signal would miss the backends:
 * each PostgreSQL backend runs in a process group of its own (postmaster.c, InitPostmasterChild setsid()).
 * SIGSTOP freezes the whole server like a hung node (connections open, nothing answers); SIGCONT thaws it.
 */
export function signalServer(pg: PostgresServer, signal: 'SIGSTOP' | 'SIGCONT'): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n').map(l => l.trim().split(/\s+/).map(Number));
  const pids = [pg.proc.pid];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of rows) if (ppid === pids[i]) pids.push(pid);
  // Parents first when stopping (a stopped postmaster forks no new backend meanwhile), children first when resuming.
  for (const pid of signal === 'SIGSTOP' ? pids : [...pids].reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
  return pids.length;
}

export async function startPostgres(logDir: string): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-e2e-pg-'));
  const data = path.join(dir, 'data');
  // PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const env = { PATH: SYSTEM_PATH, LANG: 'C.UTF-8' };
  const [initdb, initArgs] = as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initdb, initArgs, { env, cwd: dir, stdio: 'pipe', timeout: 60000 });

  const port = await freePort();
  // Durability off: a test database, thrown away afterwards; makes the 200-odd migrations quick.
  const [cmd, args] = as(path.join(bin, 'postgres'), ['-D', data, '-c', `listen_addresses=${LOCALHOST}`, '-p', String(port), '-k', dir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);
  const proc = new Proc('postgres', cmd, args, { env, cwd: dir, logFile: logPath(logDir, 'postgres') });
  const psql = (database: string, input: string, extra: string[] = []): string => execFileSync('psql',
    ['-h', LOCALHOST, '-p', String(port), '-U', 'postgres', '-d', database, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', ...extra],
    { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 120000 });
  await waitFor('postgres to accept connections', async () => {
    if (!proc.running) throw new Error(`postgres exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
    try {
      return psql('postgres', 'select 1') ? true : undefined;
    } catch {
      return undefined;
    }
  }, 30000, 200);
  psql('postgres', 'create database litellm');
  return {
    port, proc, dir,
    url: database => `postgresql://postgres@${LOCALHOST}:${port}/${database}`,
    sql: (database, sql) => psql(database, sql),
  };
}

/**
 * Applies litellm-proxy-extras' migrations in one psql session: each
 * migration.sql in its own transaction (as Prisma runs it), except the ones
 * that create an index CONCURRENTLY (not allowed in a transaction), each
 * recorded in `_prisma_migrations`. Returns how many were applied.
 */
export function applyMigrations(pg: PostgresServer, database: string, migrationsDir: string): number {
  const names = fs.readdirSync(migrationsDir).filter(n => fs.existsSync(path.join(migrationsDir, n, 'migration.sql'))).sort();
  const lines = [
    `CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);`,
  ];
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql');
    const text = fs.readFileSync(file, 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    const record = `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (gen_random_uuid()::text, '${checksum}', now(), '${name}', 1);`;
    if (/CONCURRENTLY/i.test(text)) lines.push(`\\i '${file}'`, record);
    else lines.push('BEGIN;', `\\i '${file}'`, record, 'COMMIT;');
  }
  pg.sql(database, `${lines.join('\n')}\n`);
  return names.length;
}
