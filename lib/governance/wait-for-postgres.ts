import { readAsset } from '../assets';

/**
 * A Python program (run with the LiteLLM image's own interpreter: the image
 * has no `pg_isready`) that waits until PostgreSQL accepts connections.
 *
 * It reads the target from the same variables LiteLLM does (DATABASE_URL, or
 * DATABASE_HOST as host:port with DATABASE_USERNAME/DATABASE_NAME), sends a
 * protocol-3.0 StartupMessage and judges the first reply like libpq's PQping
 * (pg_isready): an authentication request or any error other than 57P03
 * ("the database system is starting up") means the server accepts
 * connections. No password is sent or printed. Bounded: after
 * WAIT_TIMEOUT_SECONDS it exits 1 naming the host, port and last error.
 * The program is `lib/governance/wait_for_postgres.py`, shipped with the
 * package; the init container runs it with `python -c`.
 */
export const WAIT_FOR_POSTGRES_SCRIPT = readAsset('lib/governance/wait_for_postgres.py').trim();
