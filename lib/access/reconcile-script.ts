import { readAsset } from '../assets';

/** Where the Job mounts the ConfigMap with this program and the desired state. */
export const ACCESS_DIR = '/etc/litellm-access';
export const DESIRED_STATE_FILE = 'desired-state.json';
export const RECONCILE_FILE = 'reconcile.py';

/**
 * The reconciler: a Python program (stdlib only, the LiteLLM image's own
 * interpreter) that waits for the proxy's readiness, reads budgets, teams,
 * users and keys through the admin API (paging), plans creates, updates,
 * rotations and (with prune) deletes, applies them in a safe order, prints
 * one line per object and exits 1 with a summary if anything failed. The
 * program is `lib/access/reconcile.py`, shipped with the package and read at
 * synth; its constants that mirror `declarations.ts` (SYSTEM_METADATA,
 * MARKER_KEY, OWNER_KEY) are checked against them by
 * test/access/reconcile-program.test.ts.
 */
export const RECONCILE_SCRIPT = readAsset('lib/access/reconcile.py');
