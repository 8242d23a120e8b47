# litellm-access: makes LiteLLM's teams, users, virtual keys and budget tiers match the
# desired state that cdk8s-litellm synthesized (GovernanceReconciler). Stdlib only: it runs
# with the LiteLLM image's own interpreter. It calls the proxy's admin API with the master
# key and never prints a key value, a key hash or the master key.
#
# Environment: LITELLM_PROXY_HOST / LITELLM_PROXY_PORT (the proxy Service),
# LITELLM_MASTER_KEY, DESIRED_STATE_PATH (JSON, no secrets), one variable per key value
# (named in the desired state), WAIT_TIMEOUT_SECONDS, MINIMUM_CUSTOM_KEY_LENGTH (LiteLLM's,
# default 16), LITELLM_ACCESS_TRACE_FILE (tests: append every request as JSON, key values
# redacted).
#
# Order: budgets, teams, users (and memberships), keys; then, with prune, deletes of
# undeclared objects carrying this owner's marker: keys first, because deleting a team or
# a user deletes its keys too (team_endpoints.py, internal_user_endpoints.py).
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Metadata entries LiteLLM manages itself (SYSTEM_METADATA in lib/access/declarations.ts):
# kept on update, never compared.
SYSTEM_METADATA = set(["model_rpm_limit","model_tpm_limit","model_itpm_limit","model_otpm_limit","default_estimated_output_tokens","default_estimated_output_tokens_per_model","mcp_rpm_limit","tag_rpm_limit","rpm_limit_type","tpm_limit_type","enforced_params","temp_budget_increase","temp_budget_expiry","allowed_vector_store_indexes","enforced_batch_output_expires_after","enforced_file_expires_after","throttle_on_budget_exceeded","enable_prompt_caching","end_user_budget_id","require_trace_id","disable_global_guardrails","guardrails","policies","tags","team_member_key_duration","prompts","logging","secret_manager_settings","allowed_passthrough_routes","denied_passthrough_routes","team_member_budget_id","service_account_id"])
BUDGET_FIELDS = ["max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests"]
TEAM_FIELDS = ["team_alias", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "blocked", "metadata"]
USER_FIELDS = ["user_email", "user_alias", "user_role", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
               "max_parallel_requests", "metadata"]
KEY_FIELDS = ["team_id", "user_id", "budget_id", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
              "max_parallel_requests", "blocked", "metadata"]
ROTATING_SUFFIX = "-rotating"
MARKER_KEY = "managed_by"
OWNER_KEY = "cdk8s_litellm_owner"


def say(text):
    print(text, flush=True)


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self):
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


class Api:
    def __init__(self, base, master_key, trace_path, secrets):
        self.base, self.master_key, self.trace_path, self.secrets = base, master_key, trace_path, secrets

    def scrub(self, text):
        for s in self.secrets:
            if s:
                text = text.replace(s, "***")
        return text

    def trace(self, method, path, body):
        if not self.trace_path:
            return
        if isinstance(body, dict) and isinstance(body.get("key"), str):
            body = dict(body, key="***")  # a key value or its hash
        with open(self.trace_path, "a") as f:
            f.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")

    def call(self, method, path, body=None, query=None, auth=True, timeout=60):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        self.trace(method, path, body)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.master_key
        data = None if body is None else json.dumps(body).encode()
        attempts = 3 if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=timeout) as r:
                    raw = r.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                raise ApiError(e.code, self.scrub(error_message(e.read())))
            except (urllib.error.URLError, OSError) as e:
                if attempt == attempts:
                    raise ApiError(0, self.scrub(f"{method} {path}: {getattr(e, 'reason', e)}"))
                time.sleep(2 * attempt)

    def pages(self, path, items_key, query):
        page, out = 1, []
        while True:
            r = self.call("GET", path, query=dict(query, page=page))
            out.extend(r.get(items_key) or [])
            total = r.get("total_pages") or 1
            if page >= total or not r.get(items_key):
                return out
            page += 1


def error_message(raw):
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:300]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        detail = body.get("detail")
        if isinstance(detail, dict) and detail.get("error"):
            return str(detail["error"])[:300]
        if detail:
            return str(detail)[:300]
    return str(body)[:300]


def join(changed, note=""):
    return "; ".join(x for x in (", ".join(changed), note) if x)


def same(field, want, have):
    if field == "models":
        return sorted(want or []) == sorted(have or [])
    if field == "blocked":
        return bool(want) == bool(have)
    if isinstance(want, (int, float)) and isinstance(have, (int, float)) and not isinstance(want, bool):
        return abs(float(want) - float(have)) < 1e-9
    return want == have


class Reconciler:
    def __init__(self, api, desired, keys_values):
        self.api, self.d = api, desired
        self.marker = desired["marker"]
        self.values = keys_values
        self.counts = {"created": 0, "updated": 0, "rotated": 0, "deleted": 0, "unchanged": 0, "failed": 0, "kept": 0}
        self.failed_ids = set()
        self.failures = []

    # --- reporting ---------------------------------------------------------------
    def report(self, kind, ident, outcome, detail=""):
        bucket = {"not declared": "kept"}.get(outcome, outcome)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        say(f"{kind:<7} {ident:<32} {outcome}{': ' + detail if detail else ''}")

    def fail(self, kind, ident, err):
        self.failed_ids.add((kind, ident))
        self.failures.append(f"{kind} {ident}: {err}")
        self.report(kind, ident, "failed", str(err))

    # --- ownership -------------------------------------------------------------------
    def owned(self, metadata):
        m = metadata or {}
        return all(m.get(k) == v for k, v in self.marker.items())

    def check_owner(self, metadata):
        """Refuses objects another stack manages. A declared id without any marker (made by hand,
        or its metadata overwritten) is taken over: the declaration is authoritative for its ids."""
        m = metadata or {}
        if m.get(MARKER_KEY) == self.marker[MARKER_KEY] and not self.owned(m):
            raise ApiError(0, f"exists and is managed by another owner ({m.get(OWNER_KEY)!r}); "
                              "ids and aliases must be unique across stacks sharing a database")
        return "" if self.owned(m) else "taken over (had no ownership marker)"

    def desired_metadata(self, want, have):
        """What to send: the declared metadata plus the entries LiteLLM manages itself."""
        keep = {k: v for k, v in (have or {}).items() if k in SYSTEM_METADATA}
        return dict(keep, **want)

    def diff(self, fields, want, have):
        changed = []
        for f in fields:
            if f not in want:
                continue  # not managed (a user's fields LiteLLM cannot clear, when undeclared)
            if f == "metadata":
                mine = {k: v for k, v in (have.get("metadata") or {}).items() if k not in SYSTEM_METADATA}
                if mine != want.get("metadata", {}):
                    changed.append(f)
            elif not same(f, want.get(f), have.get(f)):
                changed.append(f)
        return changed

    def patch(self, fields, want, have):
        body = {}
        for f in fields:
            body[f] = self.desired_metadata(want.get("metadata", {}), have.get("metadata")) if f == "metadata" else want.get(f)
        return body

    # --- read -----------------------------------------------------------------------
    def read(self):
        self.budgets = {b["budget_id"]: b for b in (self.api.call("GET", "/budget/list") or [])}
        self.teams = {t["team_id"]: t for t in self.api.pages("/v2/team/list", "teams", {"page_size": 100})}
        self.users = {u["user_id"]: u for u in self.api.pages("/user/list", "users", {"page_size": 100})}
        self.keys = self.api.pages("/key/list", "keys", {"return_full_object": "true", "size": 100})
        self.keys_by_alias = {k["key_alias"]: k for k in self.keys if k.get("key_alias")}
        self.keys_by_token = {k["token"]: k for k in self.keys if k.get("token")}

    # --- apply ----------------------------------------------------------------------
    def budgets_pass(self):
        for b in self.d["budgets"]:
            bid, have = b["budget_id"], self.budgets.get(b["budget_id"])
            try:
                if have is None:
                    self.api.call("POST", "/budget/new", {k: v for k, v in b.items() if v is not None})
                    self.report("budget", bid, "created")
                    continue
                changed = self.diff(BUDGET_FIELDS, b, have)
                if not changed:
                    self.report("budget", bid, "unchanged")
                    continue
                r = self.api.call("POST", "/budget/update", dict(self.patch(changed, b, have), budget_id=bid))
                if r is None:
                    raise ApiError(200, "the proxy answered null: the budget disappeared while updating it")
                self.report("budget", bid, "updated", ", ".join(changed))
            except ApiError as e:
                self.fail("budget", bid, e)

    def teams_pass(self):
        for t in self.d["teams"]:
            tid, have = t["team_id"], self.teams.get(t["team_id"])
            try:
                if have is None:
                    self.api.call("POST", "/team/new", {k: v for k, v in t.items() if v is not None})
                    self.report("team", tid, "created")
                    continue
                note = self.check_owner(have.get("metadata"))
                changed = self.diff(TEAM_FIELDS, t, have)
                if not changed:
                    self.report("team", tid, "unchanged")
                    continue
                self.api.call("POST", "/team/update", dict(self.patch(changed, t, have), team_id=tid))
                self.report("team", tid, "updated", join(changed, note))
            except ApiError as e:
                self.fail("team", tid, e)

    def users_pass(self):
        managed_teams = {t["team_id"] for t in self.d["teams"]} | {tid for tid, t in self.teams.items() if self.owned(t.get("metadata"))}
        for u in self.d["users"]:
            uid, have = u["user_id"], self.users.get(u["user_id"])
            want = {k: v for k, v in u.items() if k != "teams"}
            try:
                if have is None:
                    self.api.call("POST", "/user/new", dict({k: v for k, v in want.items() if v is not None}, auto_create_key=False))
                    outcome, changed, current, note = "created", [], [], ""
                else:
                    note = self.check_owner(have.get("metadata"))
                    changed = self.diff(USER_FIELDS, want, have)
                    if changed:
                        self.api.call("POST", "/user/update", dict(self.patch(changed, want, have), user_id=uid))
                    outcome, current = ("updated" if changed else "unchanged"), list(have.get("teams") or [])
                membership = []
                for tid in u["teams"]:
                    if tid in current:
                        continue
                    if ("team", tid) in self.failed_ids:
                        raise ApiError(0, f"team {tid} failed above; membership not added")
                    self.api.call("POST", "/team/member_add", {"team_id": tid, "member": {"user_id": uid, "role": "user"}})
                    membership.append("+" + tid)
                for tid in current:
                    if tid in managed_teams and tid not in u["teams"]:
                        self.api.call("POST", "/team/member_delete", {"team_id": tid, "user_id": uid})
                        membership.append("-" + tid)
                if membership and outcome == "unchanged":
                    outcome = "updated"
                detail = join(changed + (["teams " + " ".join(membership)] if membership and have is not None else []), note)
                self.report("user", uid, outcome, detail)
            except ApiError as e:
                self.fail("user", uid, e)

    def key_body(self, k, value, alias):
        body = {f: k.get(f) for f in KEY_FIELDS if k.get(f) is not None}
        body.update(key=value, key_alias=alias)
        if k.get("duration"):
            body["duration"] = k["duration"]
        return body

    def generate(self, k, value, alias):
        token = hashlib.sha256(value.encode()).hexdigest()
        self.api.call("POST", "/key/generate", self.key_body(k, value, alias))
        # /key/generate upserts on the value: for a value that exists it answers 200, echoes the
        # request and changes nothing. Values are checked beforehand; read back to be sure.
        info = (self.api.call("GET", "/key/info", query={"key": token}) or {}).get("info") or {}
        if info.get("key_alias") != alias:
            raise ApiError(0, "the proxy did not store the key (another key may hold the same value)")
        return token

    def keys_pass(self):
        for k in self.d["keys"]:
            alias = k["key_alias"]
            try:
                deps = [("team", k.get("team_id")), ("user", k.get("user_id")), ("budget", k.get("budget_id"))]
                blocked = [f"{kind} {i}" for kind, i in deps if i and (kind, i) in self.failed_ids]
                if blocked:
                    raise ApiError(0, f"depends on {', '.join(blocked)}, which failed above")
                value, problem = self.values[alias]
                if problem:
                    raise ApiError(0, problem)
                token = hashlib.sha256(value.encode()).hexdigest()
                have = self.keys_by_alias.get(alias)
                other = self.keys_by_token.get(token)
                if other is not None and other.get("key_alias") not in (alias, alias + ROTATING_SUFFIX):
                    raise ApiError(0, f"the value from Secret {k['value']['source']} is already the value of key {other.get('key_alias')!r}; every key needs a value of its own")
                if have is None and other is not None:
                    # An interrupted rotation: the new key exists under the temporary alias, the old one is gone.
                    self.api.call("POST", "/key/update", {"key": token, "key_alias": alias})
                    self.keys_by_alias[alias] = have = dict(other, key_alias=alias)
                    self.report("key", alias, "rotated", "finished an interrupted rotation")
                    changed = self.diff(KEY_FIELDS, k, have)
                    if changed:
                        self.api.call("POST", "/key/update", dict(self.patch(changed, k, have), key_alias=alias))
                        self.report("key", alias, "updated", ", ".join(changed))
                    continue
                if have is None:
                    self.generate(k, value, alias)
                    self.report("key", alias, "created")
                    continue
                note = self.check_owner(have.get("metadata"))
                if have.get("token") != token:
                    self.rotate(k, value, token, have)
                    self.report("key", alias, "rotated", note)
                    continue
                changed = self.diff(KEY_FIELDS, k, have)
                if not changed:
                    self.report("key", alias, "unchanged")
                    continue
                self.api.call("POST", "/key/update", dict(self.patch(changed, k, have), key_alias=alias))
                self.report("key", alias, "updated", join(changed, note))
            except ApiError as e:
                self.fail("key", alias, e)

    def rotate(self, k, value, token, have):
        """A new value without /key/regenerate (Enterprise): new key under a temporary alias, old key deleted, then renamed."""
        temp = k["key_alias"] + ROTATING_SUFFIX
        leftover = self.keys_by_alias.get(temp)
        if leftover is not None and leftover.get("token") != token:
            if not self.owned(leftover.get("metadata")):
                raise ApiError(0, f"cannot rotate: a key aliased {temp!r} exists and is not ours")
            self.api.call("POST", "/key/delete", {"key_aliases": [temp]})
            leftover = None
        if leftover is None:
            self.generate(k, value, temp)
        self.api.call("POST", "/key/delete", {"key_aliases": [k["key_alias"]]})
        self.api.call("POST", "/key/update", {"key": token, "key_alias": k["key_alias"]})

    def prune_pass(self):
        declared = {
            "key": {k["key_alias"] for k in self.d["keys"]} | {k["key_alias"] + ROTATING_SUFFIX for k in self.d["keys"]},
            "user": {u["user_id"] for u in self.d["users"]},
            "team": {t["team_id"] for t in self.d["teams"]},
            "budget": {b["budget_id"] for b in self.d["budgets"]},
        }
        keys = [k for k in self.keys if self.owned(k.get("metadata")) and k.get("key_alias") not in declared["key"]]
        users = [u for uid, u in self.users.items() if self.owned(u.get("metadata")) and uid not in declared["user"]]
        teams = [t for tid, t in self.teams.items() if self.owned(t.get("metadata")) and tid not in declared["team"]]
        prefix = self.d["budget_prefix"]
        budgets = [b for bid, b in self.budgets.items() if bid.startswith(prefix) and bid not in declared["budget"]]
        if not self.d.get("prune"):
            for kind, objs, ident in (("key", keys, "key_alias"), ("user", users, "user_id"), ("team", teams, "team_id"), ("budget", budgets, "budget_id")):
                for o in objs:
                    self.report(kind, o[ident], "not declared", "kept (prune is off)")
            return
        # Keys first: deleting a team or user deletes its keys too, so those must all be ours.
        foreign = [k for k in self.keys if not self.owned(k.get("metadata"))]
        for k in keys:
            self.delete("key", k["key_alias"], "/key/delete", {"key_aliases": [k["key_alias"]]})
        for u in users:
            theirs = [k for k in foreign if k.get("user_id") == u["user_id"]]
            self.delete("user", u["user_id"], "/user/delete", {"user_ids": [u["user_id"]]}, theirs)
        for t in teams:
            theirs = [k for k in foreign if k.get("team_id") == t["team_id"]]
            self.delete("team", t["team_id"], "/team/delete", {"team_ids": [t["team_id"]]}, theirs)
        for b in budgets:
            theirs = [k for k in foreign if k.get("budget_id") == b["budget_id"]]
            self.delete("budget", b["budget_id"], "/budget/delete", {"id": b["budget_id"]}, theirs)

    def delete(self, kind, ident, path, body, foreign_keys=()):
        try:
            if foreign_keys:
                raise ApiError(0, f"not deleted: {len(foreign_keys)} key(s) not managed here belong to it and would go with it")
            self.api.call("POST", path, body)
            self.report(kind, ident, "deleted")
        except ApiError as e:
            self.fail(kind, ident, e)


def key_values(desired, min_length):
    """Each key's value from its Secret (an env var), checked like LiteLLM checks a caller-chosen key."""
    out, seen = {}, {}
    for k in desired["keys"]:
        source = k["value"]["source"]
        value = os.environ.get(k["value"]["env"], "")
        problem = None
        if not value:
            problem = f"Secret {source} is empty or missing"
        elif not value.startswith("sk-"):
            problem = f"the value in Secret {source} must start with 'sk-' (LiteLLM refuses other custom keys)"
        elif len(value) < min_length:
            problem = f"the value in Secret {source} must be at least {min_length} characters long (LiteLLM's minimum for custom keys)"
        elif value in seen:
            problem = f"Secret {source} holds the same value as Secret {seen[value]}; every key needs a value of its own"
        else:
            seen[value] = source
        out[k["key_alias"]] = (value, problem)
    return out


def wait_ready(api, timeout):
    deadline, attempt, last = time.monotonic() + timeout, 0, "no attempt"
    while time.monotonic() < deadline:
        attempt += 1
        try:
            api.call("GET", "/health/readiness", auth=False, timeout=10)
            say(f"litellm-access: proxy {api.base} is ready (attempt {attempt})")
            return
        except ApiError as e:
            last = str(e)
        if attempt == 1 or attempt % 10 == 0:
            say(f"litellm-access: proxy {api.base} not ready yet ({last}); retrying")
        time.sleep(3)
    sys.exit(f"litellm-access: proxy {api.base} was not ready within {timeout}s (last: {last}); check the proxy pods and that the NetworkPolicy admits this Job")


def main():
    with open(os.environ.get("DESIRED_STATE_PATH", "/etc/litellm-access/desired-state.json")) as f:
        desired = json.load(f)
    master_key = os.environ.get("LITELLM_MASTER_KEY", "")
    if not master_key:
        sys.exit("litellm-access: LITELLM_MASTER_KEY is empty; check the master key Secret")
    base = f"http://{os.environ['LITELLM_PROXY_HOST']}:{os.environ['LITELLM_PROXY_PORT']}"
    values = key_values(desired, int(os.environ.get("MINIMUM_CUSTOM_KEY_LENGTH", "16")))
    secrets = [master_key] + [v for v, _ in values.values() if v]
    secrets += [hashlib.sha256(v.encode()).hexdigest() for v in secrets]
    api = Api(base, master_key, os.environ.get("LITELLM_ACCESS_TRACE_FILE"), secrets)
    wait_ready(api, int(os.environ.get("WAIT_TIMEOUT_SECONDS", "300")))
    say(f"litellm-access: desired {len(desired['budgets'])} budget(s), {len(desired['teams'])} team(s), {len(desired['users'])} user(s), "
        f"{len(desired['keys'])} key(s); owner {desired['marker'][OWNER_KEY]}; prune {'on' if desired.get('prune') else 'off'}")
    r = Reconciler(api, desired, values)
    try:
        r.read()
    except ApiError as e:
        sys.exit(f"litellm-access: could not read the current state: {e}")
    r.budgets_pass()
    r.teams_pass()
    r.users_pass()
    r.keys_pass()
    r.prune_pass()
    c = r.counts
    changes = c["created"] + c["updated"] + c["rotated"] + c["deleted"]
    tally = ", ".join(f"{c[k]} {k}" for k in ("created", "updated", "rotated", "deleted", "unchanged", "kept", "failed"))
    if c["failed"]:
        say(f"litellm-access: FAILED ({tally})")
        for line in r.failures:
            say(f"  - {line}")
        sys.exit(1)
    say(f"litellm-access: {'no changes' if changes == 0 else 'applied'} ({tally})")


if __name__ == "__main__":
    main()
