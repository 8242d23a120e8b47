import { readAsset } from '../assets';

/**
 * Gunicorn's log level for the workers it stops on purpose (internal to the proxy construct).
 *
 * gunicorn 23's master logs every worker that died of a signal at ERROR
 * (gunicorn/arbiter.py `reap_workers`: "Worker (pid:N) was sent SIGTERM!").
 * Its uvicorn workers always die that way on a graceful stop: uvicorn drains,
 * restores the default SIGTERM handler and raises the signal again
 * (uvicorn/server.py `capture_signals`). So every rollout and scale-down
 * printed one ERROR per worker. LiteLLM builds gunicorn's options itself
 * (proxy/proxy_cli.py `run_gunicorn_server`: no log level, no log
 * config, no GUNICORN_CMD_ARGS), so the only lever is Python's start-up hook:
 * a `sitecustomize` module on PYTHONPATH, which the interpreter imports before
 * gunicorn starts. It adds one filter to the `gunicorn.error` logger that
 * reports exactly that message for SIGTERM at INFO. A worker killed by any
 * other signal (SIGKILL: "Perhaps out of memory?", SIGABRT on a timeout) or
 * exiting with an error code stays at ERROR, and nothing else is touched.
 * An image's own `sitecustomize`, if any, is still run after it.
 */
export const SITECUSTOMIZE_FILE = 'sitecustomize.py';

/** The program: `lib/proxy/sitecustomize.py`, linted, type-checked and tested as Python (test/python). */
export const SITECUSTOMIZE_SOURCE = readAsset('lib/proxy/sitecustomize.py');
