# litellm-access: makes LiteLLM's teams, users, virtual keys and budget tiers match the
# desired state that cdk8s-litellm synthesized (GovernanceReconciler). Stdlib only: it runs
# with the LiteLLM image's own interpreter. It calls the proxy's admin API with the master
# key and never prints a key value, a key hash or the master key.
#
# Usage: python reconcile.py [--dry-run]
# Environment: LITELLM_PROXY_HOST / LITELLM_PROXY_PORT (the proxy Service),
# LITELLM_MASTER_KEY, DESIRED_STATE_PATH (JSON, no secrets), one variable per key value
# (named in the desired state), WAIT_TIMEOUT_SECONDS, MINIMUM_CUSTOM_KEY_LENGTH (LiteLLM's,
# default 16), LITELLM_ACCESS_DRY_RUN (true: print the plan, change nothing),
# LITELLM_ACCESS_REQUEST_TIMEOUT_SECONDS (per admin API call, default 60),
# LITELLM_ACCESS_TRACE_FILE (tests: append every request as JSON, key values redacted).
#
# How a run goes: read the whole current state (every page of every list), plan, apply.
# - The plan is a pure function of the desired state, the current state and the key values
#   (plan()); the executor (Executor) applies it in order: budgets, teams, users (and
#   memberships), keys; then, with prune, deletes of undeclared objects carrying this owner's
#   marker: keys first, because deleting a team or a user deletes its keys too
#   (team_endpoints.py, internal_user_endpoints.py).
# - An incomplete read (an error after retries, a timeout, a page shorter than announced, a
#   total that changes between pages) changes nothing: exit 2.
# - A fault while applying (HTTP 5xx, a timeout, a refused connection) fails that change (a
#   change stops at its first failed call: a key is deleted only once its replacement exists);
#   after a fault no deletion is started, and after 3 faults in a row the run stops.
# - Exit codes: 0 done (or dry run planned), 1 some changes failed, 2 incomplete read,
#   3 configuration error, 4 proxy not ready. The last line is a machine-readable summary:
#   "litellm-access summary: result=... created=N ... exit=N".
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol

Json = dict[str, Any]

# Metadata entries LiteLLM manages itself (SYSTEM_METADATA in lib/access/declarations.ts,
# checked equal by test/access/reconcile-program.test.ts): kept on update, never compared.
SYSTEM_METADATA: Final = frozenset({
    "model_rpm_limit", "model_tpm_limit", "model_itpm_limit", "model_otpm_limit", "default_estimated_output_tokens",
    "default_estimated_output_tokens_per_model", "mcp_rpm_limit", "tag_rpm_limit", "rpm_limit_type", "tpm_limit_type",
    "enforced_params", "temp_budget_increase", "temp_budget_expiry", "allowed_vector_store_indexes",
    "enforced_batch_output_expires_after", "enforced_file_expires_after", "throttle_on_budget_exceeded",
    "enable_prompt_caching", "end_user_budget_id", "require_trace_id", "disable_global_guardrails", "guardrails",
    "policies", "tags", "team_member_key_duration", "prompts", "logging", "secret_manager_settings",
    "allowed_passthrough_routes", "denied_passthrough_routes", "team_member_budget_id", "service_account_id",
})
MARKER_KEY: Final = "managed_by"
OWNER_KEY: Final = "cdk8s_litellm_owner"

BUDGET_FIELDS: Final = ["max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests"]
TEAM_FIELDS: Final = ["team_alias", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "blocked", "metadata"]
USER_FIELDS: Final = ["user_email", "user_alias", "user_role", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
                      "max_parallel_requests", "metadata"]
KEY_FIELDS: Final = ["team_id", "user_id", "budget_id", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
                     "max_parallel_requests", "blocked", "metadata"]
USER_CLEARABLE: Final = frozenset({"max_budget", "budget_duration", "rpm_limit", "tpm_limit"})
ROTATING_SUFFIX: Final = "-rotating"

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_INCOMPLETE: Final = 2
EXIT_CONFIG: Final = 3
EXIT_NOT_READY: Final = 4

PAGE_SIZE = 100  # the largest the list endpoints allow; tests page by 2
MAX_PAGES: Final = 1000  # 100,000 objects of a kind: a bound on the loop, not a limit in practice
MAX_CONSECUTIVE_FAULTS: Final = 3

# Actions of a planned change, and the word each one prints when applied / in a dry run.
CREATE, UPDATE, ROTATE, DELETE = "create", "update", "rotate", "delete"
UNCHANGED, KEPT, FAIL = "unchanged", "kept", "fail"
CHANGES: Final = (CREATE, UPDATE, ROTATE, DELETE)
DONE_WORD: Final = {CREATE: "created", UPDATE: "updated", ROTATE: "rotated", DELETE: "deleted", UNCHANGED: "unchanged",
                    KEPT: "not declared", FAIL: "failed"}
PLAN_WORD: Final = {CREATE: "would create", UPDATE: "would update", ROTATE: "would rotate", DELETE: "would delete",
                    UNCHANGED: "unchanged", KEPT: "not declared", FAIL: "would fail"}
COUNTERS: Final = ("created", "updated", "rotated", "deleted", "unchanged", "kept", "skipped", "failed")


def say(text: str) -> None:
    print(text, flush=True)


# --- the admin API ------------------------------------------------------------------------------

class ApiError(Exception):
    """A failed call. status 0: no HTTP answer (refused, reset, timed out) or an unreadable one."""

    def __init__(self, status: int, message: str, fault: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self._fault = fault

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message

    @property
    def fault(self) -> bool:
        """The proxy or its database failed (as opposed to refusing a request): the picture may be incomplete."""
        return self._fault if self._fault is not None else self.status == 0 or self.status >= 500


class AdminApi(Protocol):
    """What the reconciler needs of the admin API: one JSON call. Api is the real one."""

    def call(self, method: str, path: str, body: Json | None = None, query: Mapping[str, Any] | None = None) -> Any: ...


class Api:
    """The admin API over HTTP with the master key. GETs are retried; writes never are."""

    def __init__(self, base: str, master_key: str, secrets: Iterable[str], trace_path: str | None = None,
                 timeout: float = 60, retry_sleep: float = 1.0) -> None:
        self.base, self.master_key, self.trace_path = base, master_key, trace_path
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.timeout, self.retry_sleep = timeout, retry_sleep

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def trace(self, method: str, path: str, body: Json | None) -> None:
        if not self.trace_path:
            return
        if isinstance(body, dict) and isinstance(body.get("key"), str):
            body = dict(body, key="***")  # a key value or its hash
        with open(self.trace_path, "a") as f:
            f.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")

    def call(self, method: str, path: str, body: Json | None = None, query: Mapping[str, Any] | None = None,
             auth: bool = True, timeout: float | None = None) -> Any:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        self.trace(method, path, body)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.master_key
        data = None if body is None else json.dumps(body).encode()
        attempts = 3 if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
                # The URL is http://<proxy Service>:<port> + a fixed path: no file: or custom scheme.
                with urllib.request.urlopen(request, timeout=timeout or self.timeout) as r:  # noqa: S310
                    raw = r.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                error = ApiError(e.code, self.scrub(error_message(e.read())))
            except (urllib.error.URLError, OSError) as e:
                error = ApiError(0, self.scrub(f"{method} {path}: {getattr(e, 'reason', e)}"))
            except ValueError:
                error = ApiError(0, f"{method} {path}: the proxy's answer is not JSON")
            if attempt == attempts or not error.fault:
                raise error
            time.sleep(self.retry_sleep * attempt)
        raise AssertionError("unreachable")


def error_message(raw: bytes) -> str:
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


# --- the current state --------------------------------------------------------------------------

@dataclass
class Listing:
    """One list read from the admin API: its items, and why the read is incomplete ("" when complete)."""

    items: list[Json]
    problem: str = ""

    @property
    def complete(self) -> bool:
        return not self.problem


@dataclass
class Actual:
    budgets: Listing
    teams: Listing
    users: Listing
    keys: Listing

    @property
    def problems(self) -> list[str]:
        named = (("budget", self.budgets), ("team", self.teams), ("user", self.users), ("key", self.keys))
        return [f"{kind} list: {listing.problem}" for kind, listing in named if listing.problem]

    @property
    def complete(self) -> bool:
        return not self.problems


def read_pages(api: AdminApi, path: str, items_key: str, total_key: str, size_param: str, ident: str,
               query: Mapping[str, Any]) -> Listing:
    """Every page of a list. Incomplete unless every page arrived, each full but the last, the total
    never changed, and the items add up to it with no id twice (objects created or deleted between
    two pages shift the rest)."""
    out: list[Json] = []
    total: int | None = None
    pages: int | None = None
    for page in range(1, MAX_PAGES + 1):
        try:
            r = api.call("GET", path, query=dict(query, **{size_param: PAGE_SIZE, "page": page}))
        except ApiError as e:
            return Listing(out, f"page {page}: {e}")
        if not isinstance(r, dict) or not isinstance(r.get(items_key), list):
            return Listing(out, f"page {page}: no '{items_key}' list in the answer")
        items: list[Json] = [i for i in r[items_key] if isinstance(i, dict)]
        if len(items) != len(r[items_key]):
            return Listing(out, f"page {page}: an item is not an object")
        t, p = r.get(total_key), r.get("total_pages")
        if not isinstance(t, int) or not isinstance(p, int):
            return Listing(out, f"page {page}: no '{total_key}'/'total_pages' in the answer")
        if total is not None and (t, p) != (total, pages):
            return Listing(out, f"page {page}: the total changed while reading ({total} -> {t}); objects were created or deleted meanwhile")
        total, pages = t, p
        out.extend(items)
        if page >= p:
            break
        if len(items) < PAGE_SIZE:
            return Listing(out, f"page {page} of {p}: {len(items)} items, fewer than the page size {PAGE_SIZE}")
    else:
        return Listing(out, f"more than {MAX_PAGES} pages")
    ids = [i.get(ident) for i in out]
    if len(set(map(str, ids))) != len(ids):
        return Listing(out, "an object appeared twice; objects were created or deleted while reading")
    if len(out) != total:
        return Listing(out, f"{len(out)} items read, the proxy counts {total}")
    return Listing(out)


def read_actual(api: AdminApi) -> Actual:
    try:
        raw = api.call("GET", "/budget/list")
        budgets = Listing([b for b in raw if isinstance(b, dict)]) if isinstance(raw, list) else Listing([], "the answer is not a list")
    except ApiError as e:
        budgets = Listing([], str(e))
    return Actual(
        budgets=budgets,
        teams=read_pages(api, "/v2/team/list", "teams", "total", "page_size", "team_id", {}),
        users=read_pages(api, "/user/list", "users", "total", "page_size", "user_id", {}),
        keys=read_pages(api, "/key/list", "keys", "total_count", "size", "token", {"return_full_object": "true"}),
    )


# --- the plan -----------------------------------------------------------------------------------

class KeyValue(NamedTuple):
    """A key's value from its Secret. value None: unknown (a dry run without the Secret): not compared."""

    value: str | None
    problem: str | None = None


@dataclass(frozen=True)
class Call:
    """One write. expect_alias: after /key/generate, read the key back by token and require that alias."""

    method: str
    path: str
    body: Json
    expect_alias: str | None = None
    token: str | None = None


@dataclass
class Change:
    """What happens to one object: an action, a detail for the log, the calls, and the objects
    (kind, id) whose failure earlier in the run stops it."""

    kind: str
    ident: str
    action: str
    detail: str = ""
    calls: list[Call] = field(default_factory=list)
    needs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Plan:
    changes: list[Change]
    problems: list[str] = field(default_factory=list)  # why the current state is incomplete

    @property
    def complete(self) -> bool:
        return not self.problems

    def count(self, *actions: str) -> int:
        return sum(1 for c in self.changes if c.action in actions)


class Conflict(Exception):
    """The object cannot be reconciled as declared (another owner's, a value in use, ...)."""


def token_of(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def join(changed: Sequence[str], note: str = "") -> str:
    return "; ".join(x for x in (", ".join(changed), note) if x)


def same(name: str, want: Any, have: Any) -> bool:
    if name == "models":
        return sorted(want or []) == sorted(have or [])
    if name == "blocked":
        return bool(want) == bool(have)
    if isinstance(want, (int, float)) and isinstance(have, (int, float)) and not isinstance(want, bool):
        return abs(float(want) - float(have)) < 1e-9
    return bool(want == have)


def owned_by(marker: Mapping[str, str], metadata: Any) -> bool:
    m = metadata if isinstance(metadata, dict) else {}
    return all(m.get(k) == v for k, v in marker.items())


def plan(desired: Json, actual: Actual, values: Mapping[str, KeyValue]) -> Plan:
    """What to do, without doing it: no I/O. An incomplete `actual` plans no deletion and no
    creation in a list that was not read whole (the object may exist unseen)."""
    return Planner(desired, actual, values).plan()


class Planner:
    def __init__(self, desired: Json, actual: Actual, values: Mapping[str, KeyValue]) -> None:
        self.d, self.actual, self.values = desired, actual, values
        self.marker: dict[str, str] = dict(desired["marker"])
        self.budgets = {b["budget_id"]: b for b in actual.budgets.items if "budget_id" in b}
        self.teams = {t["team_id"]: t for t in actual.teams.items if "team_id" in t}
        self.users = {u["user_id"]: u for u in actual.users.items if "user_id" in u}
        self.keys = actual.keys.items
        self.keys_by_alias = {k["key_alias"]: k for k in self.keys if k.get("key_alias")}
        self.keys_by_token = {k["token"]: k for k in self.keys if k.get("token")}
        self.changes: list[Change] = []

    def plan(self) -> Plan:
        self.plan_budgets()
        self.plan_teams()
        self.plan_users()
        self.plan_keys()
        self.plan_prune()
        return Plan(self.changes, self.actual.problems)

    # --- ownership ---------------------------------------------------------------------------
    def owned(self, metadata: Any) -> bool:
        return owned_by(self.marker, metadata)

    def foreign(self, metadata: Any) -> bool:
        """Marked by cdk8s-litellm for another owner."""
        m = metadata if isinstance(metadata, dict) else {}
        return m.get(MARKER_KEY) == self.marker[MARKER_KEY] and not self.owned(m)

    def check_owner(self, metadata: Any) -> str:
        """Refuses objects another stack manages. A declared id without any marker (made by hand,
        or its metadata overwritten) is taken over: the declaration is authoritative for its ids."""
        if self.foreign(metadata):
            owner = metadata.get(OWNER_KEY)
            raise Conflict(f"exists and is managed by another owner ({owner!r}); ids and aliases must be unique across stacks sharing a database")
        return "" if self.owned(metadata) else "taken over (had no ownership marker)"

    # --- diffs -------------------------------------------------------------------------------
    @staticmethod
    def diff(names: Sequence[str], want: Json, have: Json) -> list[str]:
        changed = []
        for f in names:
            if f not in want:
                continue  # not managed (a user's fields LiteLLM cannot clear, when undeclared)
            if f == "metadata":
                mine = {k: v for k, v in (have.get("metadata") or {}).items() if k not in SYSTEM_METADATA}
                if mine != want.get("metadata", {}):
                    changed.append(f)
            elif not same(f, want.get(f), have.get(f)):
                changed.append(f)
        return changed

    @staticmethod
    def patch(names: Sequence[str], want: Json, have: Json) -> Json:
        body: Json = {}
        for f in names:
            if f == "metadata":
                # The declared metadata plus the entries LiteLLM manages itself.
                keep = {k: v for k, v in (have.get("metadata") or {}).items() if k in SYSTEM_METADATA}
                body[f] = dict(keep, **want.get("metadata", {}))
            else:
                body[f] = want.get(f)
        return body

    def unseen(self, listing: Listing, what: str) -> str | None:
        """Why an object missing from `listing` is not created: the list was not read whole."""
        return None if listing.complete else f"not created: the {what} list was read incompletely; it may exist"

    def add(self, kind: str, ident: str, action: str, detail: str = "", calls: Sequence[Call] = (),
            needs: Iterable[tuple[str, str]] = ()) -> None:
        self.changes.append(Change(kind, ident, action, detail, list(calls), [n for n in needs if n[1]]))

    # --- budgets, teams, users ----------------------------------------------------------------
    def plan_budgets(self) -> None:
        for b in self.d["budgets"]:
            bid, have = b["budget_id"], self.budgets.get(b["budget_id"])
            if have is None:
                why = self.unseen(self.actual.budgets, "budget")
                if why:
                    self.add("budget", bid, FAIL, why)
                else:
                    self.add("budget", bid, CREATE, calls=[Call("POST", "/budget/new", {k: v for k, v in b.items() if v is not None})])
                continue
            changed = self.diff(BUDGET_FIELDS, b, have)
            if not changed:
                self.add("budget", bid, UNCHANGED)
            else:
                self.add("budget", bid, UPDATE, ", ".join(changed),
                         [Call("POST", "/budget/update", dict(self.patch(changed, b, have), budget_id=bid))])

    def plan_teams(self) -> None:
        for t in self.d["teams"]:
            tid, have = t["team_id"], self.teams.get(t["team_id"])
            if have is None:
                why = self.unseen(self.actual.teams, "team")
                if why:
                    self.add("team", tid, FAIL, why)
                else:
                    self.add("team", tid, CREATE, calls=[Call("POST", "/team/new", {k: v for k, v in t.items() if v is not None})])
                continue
            try:
                note = self.check_owner(have.get("metadata"))
            except Conflict as e:
                self.add("team", tid, FAIL, str(e))
                continue
            changed = self.diff(TEAM_FIELDS, t, have)
            if not changed:
                self.add("team", tid, UNCHANGED)
            else:
                self.add("team", tid, UPDATE, join(changed, note), [Call("POST", "/team/update", dict(self.patch(changed, t, have), team_id=tid))])

    def plan_users(self) -> None:
        declared_teams = {t["team_id"] for t in self.d["teams"]}
        # Memberships are removed only from teams managed here (never from another owner's).
        managed_teams = {tid for tid in declared_teams if not self.foreign((self.teams.get(tid) or {}).get("metadata"))}
        managed_teams |= {tid for tid, t in self.teams.items() if self.owned(t.get("metadata"))}
        for u in self.d["users"]:
            uid, have = u["user_id"], self.users.get(u["user_id"])
            want = {k: v for k, v in u.items() if k != "teams"}
            calls: list[Call] = []
            if have is None:
                why = self.unseen(self.actual.users, "user")
                if why:
                    self.add("user", uid, FAIL, why)
                    continue
                calls.append(Call("POST", "/user/new", dict({k: v for k, v in want.items() if v is not None}, auto_create_key=False)))
                action, changed, current, note = CREATE, [], [], ""
            else:
                try:
                    note = self.check_owner(have.get("metadata"))
                except Conflict as e:
                    self.add("user", uid, FAIL, str(e))
                    continue
                # /user/update ignores empty values but for the limits (internal_user_endpoints.py,
                # _update_internal_user_params): such a declaration cannot be applied to an existing user.
                settable = {k: v for k, v in want.items() if k in USER_CLEARABLE or v not in (None, [], {})}
                changed = self.diff(USER_FIELDS, settable, have)
                if changed:
                    calls.append(Call("POST", "/user/update", dict(self.patch(changed, want, have), user_id=uid)))
                action, current = (UPDATE if changed else UNCHANGED), list(have.get("teams") or [])
            membership, needs = [], []
            for tid in u["teams"]:
                if tid not in current:
                    calls.append(Call("POST", "/team/member_add", {"team_id": tid, "member": {"user_id": uid, "role": "user"}}))
                    membership.append("+" + tid)
                    needs.append(("team", tid))
            for tid in current:
                if tid in managed_teams and tid not in u["teams"]:
                    calls.append(Call("POST", "/team/member_delete", {"team_id": tid, "user_id": uid}))
                    membership.append("-" + tid)
            if membership and action == UNCHANGED:
                action = UPDATE
            detail = join(changed + (["teams " + " ".join(membership)] if membership and have is not None else []), note)
            self.add("user", uid, action, detail, calls, needs)

    # --- keys ---------------------------------------------------------------------------------
    def key_body(self, k: Json, value: str | None, alias: str) -> Json:
        body = {f: k.get(f) for f in KEY_FIELDS if k.get(f) is not None}
        body.update(key=value, key_alias=alias)
        if k.get("duration"):
            body["duration"] = k["duration"]
        return body

    def generate(self, k: Json, value: str | None, alias: str) -> Call:
        # /key/generate upserts on the value: for a value that exists it answers 200, echoes the
        # request and changes nothing. Values are checked beforehand; the key is read back to be sure.
        return Call("POST", "/key/generate", self.key_body(k, value, alias), expect_alias=alias,
                    token=token_of(value) if value is not None else None)

    def plan_keys(self) -> None:
        for k in self.d["keys"]:
            alias = k["key_alias"]
            needs = [("team", k.get("team_id") or ""), ("user", k.get("user_id") or ""), ("budget", k.get("budget_id") or "")]
            try:
                self.plan_key(k, alias, needs)
            except Conflict as e:
                self.add("key", alias, FAIL, str(e))

    def plan_key(self, k: Json, alias: str, needs: list[tuple[str, str]]) -> None:
        value, problem = self.values.get(alias, KeyValue(None, "no value"))
        if problem:
            raise Conflict(problem)
        have = self.keys_by_alias.get(alias)
        token = token_of(value) if value is not None else None
        other = self.keys_by_token.get(token) if token else None
        if other is not None and other.get("key_alias") not in (alias, alias + ROTATING_SUFFIX):
            raise Conflict(f"the value from Secret {k['value']['source']} is already the value of key {other.get('key_alias')!r}; "
                           "every key needs a value of its own")
        if have is None and other is not None:
            # An interrupted rotation: the new key exists under the temporary alias, the old one is gone.
            renamed = dict(other, key_alias=alias)
            calls = [Call("POST", "/key/update", {"key": token, "key_alias": alias})]
            changed = self.diff(KEY_FIELDS, k, renamed)
            if changed:
                calls.append(Call("POST", "/key/update", dict(self.patch(changed, k, renamed), key_alias=alias)))
            self.add("key", alias, ROTATE, join(["finished an interrupted rotation"] + (["updated " + ", ".join(changed)] if changed else [])),
                     calls, needs)
            return
        if have is None:
            why = self.unseen(self.actual.keys, "key")
            if why:
                raise Conflict(why)
            self.add("key", alias, CREATE, "" if value is not None else "value not checked (its variable is not set)",
                     [self.generate(k, value, alias)], needs)
            return
        note = self.check_owner(have.get("metadata"))
        if token is not None and have.get("token") != token:
            if not self.actual.keys.complete:
                raise Conflict("not rotated: the key list was read incompletely")
            self.add("key", alias, ROTATE, note, self.rotation(k, value, token, have), needs)
            return
        changed = self.diff(KEY_FIELDS, k, have)
        detail = "value not compared (its variable is not set)" if value is None else ""
        if not changed:
            self.add("key", alias, UNCHANGED, detail)
        else:
            self.add("key", alias, UPDATE, join(changed, "; ".join(x for x in (note, detail) if x)),
                     [Call("POST", "/key/update", dict(self.patch(changed, k, have), key_alias=alias))], needs)

    def rotation(self, k: Json, value: str | None, token: str, have: Json) -> list[Call]:
        """A new value without /key/regenerate (Enterprise): the new key under a temporary alias
        first, then the old key deleted, then the new one renamed. The old key is deleted only
        once its replacement exists (the executor stops a change at its first failed call)."""
        alias = k["key_alias"]
        temp = alias + ROTATING_SUFFIX
        calls: list[Call] = []
        leftover = self.keys_by_alias.get(temp)
        if leftover is not None and leftover.get("token") != token:
            if not self.owned(leftover.get("metadata")):
                raise Conflict(f"cannot rotate: a key aliased {temp!r} exists and is not ours")
            calls.append(Call("POST", "/key/delete", {"key_aliases": [temp]}))  # an older, abandoned rotation
            leftover = None
        if leftover is None:
            calls.append(self.generate(k, value, temp))
        calls.append(Call("POST", "/key/delete", {"key_aliases": [alias]}))
        calls.append(Call("POST", "/key/update", {"key": token, "key_alias": alias}))
        if leftover is not None:
            # The replacement was made by an earlier, interrupted run (or by hand): its settings may differ.
            renamed = dict(leftover, key_alias=alias)
            changed = self.diff(KEY_FIELDS, k, renamed)
            if changed:
                calls.append(Call("POST", "/key/update", dict(self.patch(changed, k, renamed), key_alias=alias)))
        return calls

    # --- prune --------------------------------------------------------------------------------
    def plan_prune(self) -> None:
        declared_keys = {k["key_alias"] for k in self.d["keys"]} | {k["key_alias"] + ROTATING_SUFFIX for k in self.d["keys"]}
        declared_users = {u["user_id"] for u in self.d["users"]}
        declared_teams = {t["team_id"] for t in self.d["teams"]}
        declared_budgets = {b["budget_id"] for b in self.d["budgets"]}
        # Every key written here has an alias; one without is not ours to judge.
        keys = [k for k in self.keys if self.owned(k.get("metadata")) and k.get("key_alias") and k["key_alias"] not in declared_keys]
        users = [u for uid, u in self.users.items() if self.owned(u.get("metadata")) and uid not in declared_users]
        teams = [t for tid, t in self.teams.items() if self.owned(t.get("metadata")) and tid not in declared_teams]
        prefix = self.d["budget_prefix"]
        budgets = [b for bid, b in self.budgets.items() if bid.startswith(prefix) and bid not in declared_budgets]
        candidates = [("key", k["key_alias"], k) for k in keys] + [("user", u["user_id"], u) for u in users] \
            + [("team", t["team_id"], t) for t in teams] + [("budget", b["budget_id"], b) for b in budgets]
        if not self.d.get("prune"):
            for kind, ident, _ in candidates:
                self.add(kind, ident, KEPT, "kept (prune is off)")
            return
        if not self.actual.complete:
            # Never delete on a partial picture: what is unseen may be what makes a deletion wrong.
            for kind, ident, _ in candidates:
                self.add(kind, ident, KEPT, "not deleted: the current state was read incompletely")
            return
        # Keys first: deleting a team or user deletes its keys too, so those must all be ours, judged
        # as they will be after this plan: a declared key made by hand is taken over (and moved to its
        # declared team, user and budget) above, unless that fails, so the deletion waits for it.
        key_plans = {c.ident: c for c in self.changes if c.kind == "key"}

        def declared_alias(k: Json) -> str | None:
            """The declared key this key is or becomes: its alias, or the replacement of a rotation
            (the temporary alias holding the Secret's value). Any other temporary key is judged by its marker."""
            alias = str(k.get("key_alias") or "")
            if alias in key_plans:
                return alias
            base = alias.removesuffix(ROTATING_SUFFIX)
            value = self.values.get(base, KeyValue(None)).value
            if base != alias and base in key_plans and value is not None and k.get("token") == token_of(value):
                return base
            return None

        def foreign_after_plan(k: Json) -> bool:
            alias = declared_alias(k)
            if alias is not None and key_plans[alias].action != FAIL and not self.foreign(k.get("metadata")):
                return False
            return not self.owned(k.get("metadata"))

        holder = {"user": "user_id", "team": "team_id", "budget": "budget_id"}
        for kind, ident, _ in candidates:
            if kind == "key":
                self.add(kind, ident, DELETE, calls=[Call("POST", "/key/delete", {"key_aliases": [ident]})])
                continue
            held = [k for k in self.keys if k.get(holder[kind]) == ident]
            theirs = [k for k in held if foreign_after_plan(k)]
            if theirs:
                self.add(kind, ident, FAIL, f"not deleted: {len(theirs)} key(s) not managed here belong to it and would go with it")
                continue
            declared = sorted({a for a in map(declared_alias, held) if a is not None})
            stuck = [a for a in declared if key_plans[a].action == FAIL]
            if stuck:
                self.add(kind, ident, FAIL, f"not deleted: declared key(s) {', '.join(stuck)} belong to it and cannot be reconciled")
                continue
            waits = [("key", a) for a in declared]
            bodies: dict[str, Json] = {"user": {"user_ids": [ident]}, "team": {"team_ids": [ident]}, "budget": {"id": ident}}
            self.add(kind, ident, DELETE, calls=[Call("POST", f"/{kind}/delete", bodies[kind])], needs=waits)


# --- the executor -------------------------------------------------------------------------------

@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    failures: list[str] = field(default_factory=list)
    faults: int = 0
    stopped: str = ""
    drift: int = 0  # objects that existed and differed from their declaration


def describe(kind: str, ident: str, word: str, detail: str = "") -> str:
    return f"{kind:<7} {ident:<32} {word}{': ' + detail if detail else ''}"


class Executor:
    """Applies a plan in order, one line per object. A change stops at its first failed call (so a
    key is deleted only after its replacement exists). After a fault (5xx, timeout, no answer) no
    deletion starts; after MAX_CONSECUTIVE_FAULTS faults in a row the run stops."""

    def __init__(self, api: AdminApi, out: Callable[[str], None] = say) -> None:
        self.api, self.out = api, out
        self.result = Outcome()
        self.failed: set[tuple[str, str]] = set()
        self.consecutive_faults = 0

    def report(self, change: Change, bucket: str, word: str, detail: str = "") -> None:
        self.result.counts[bucket] += 1
        self.out(describe(change.kind, change.ident, word, detail))

    def fail(self, change: Change, message: str) -> None:
        self.failed.add((change.kind, change.ident))
        self.result.failures.append(f"{change.kind} {change.ident}: {message}")
        self.report(change, "failed", "failed", message)

    def run(self, p: Plan) -> Outcome:
        for change in p.changes:
            self.apply(change)
        return self.result

    def apply(self, change: Change) -> None:
        if change.action == UNCHANGED:
            self.report(change, "unchanged", "unchanged", change.detail)
            return
        if change.action == KEPT:
            self.report(change, "kept", "not declared", change.detail)
            return
        if change.action == FAIL:
            self.fail(change, change.detail)
            return
        if self.result.stopped:
            self.report(change, "skipped", "skipped", f"not attempted: {self.result.stopped}")
            return
        if change.action == DELETE and self.result.faults:
            self.report(change, "skipped", "skipped", "not deleted: the admin API failed earlier in this run")
            return
        blocked = [f"{kind} {i}" for kind, i in change.needs if (kind, i) in self.failed]
        if blocked:
            self.fail(change, f"depends on {', '.join(blocked)}, which failed above")
            return
        try:
            for c in change.calls:
                self.send(c)
        except ApiError as e:
            self.fail(change, str(e))
            if e.fault:
                self.result.faults += 1
                self.consecutive_faults += 1
                if self.consecutive_faults >= MAX_CONSECUTIVE_FAULTS:
                    self.result.stopped = f"the admin API failed {self.consecutive_faults} times in a row"
            return
        self.consecutive_faults = 0
        if change.action == UPDATE:
            self.result.drift += 1
        self.report(change, DONE_WORD[change.action], DONE_WORD[change.action], change.detail)

    def send(self, c: Call) -> None:
        if c.path == "/key/generate" and not c.body.get("key"):
            raise ApiError(0, "no key value to send", fault=False)
        r = self.api.call(c.method, c.path, c.body)
        if c.path == "/budget/update" and r is None:
            raise ApiError(200, "the proxy answered null: the budget disappeared while updating it")
        if c.expect_alias is not None:
            info = (self.api.call("GET", "/key/info", query={"key": c.token}) or {}).get("info") or {}
            if info.get("key_alias") != c.expect_alias:
                raise ApiError(0, "the proxy did not store the key (another key may hold the same value)", fault=False)


def plan_lines(p: Plan) -> list[str]:
    """The plan, one line per object, as a dry run prints it."""
    return [describe(c.kind, c.ident, PLAN_WORD[c.action], c.detail) for c in p.changes]


def plan_outcome(p: Plan) -> Outcome:
    """The summary of a dry run: what the plan would do."""
    o = Outcome()
    words = {CREATE: "created", UPDATE: "updated", ROTATE: "rotated", DELETE: "deleted", UNCHANGED: "unchanged", KEPT: "kept", FAIL: "failed"}
    for c in p.changes:
        o.counts[words[c.action]] += 1
        if c.action == FAIL:
            o.failures.append(f"{c.kind} {c.ident}: {c.detail}")
    o.drift = p.count(UPDATE)
    return o


def exit_code(o: Outcome, complete: bool) -> int:
    if not complete:
        return EXIT_INCOMPLETE
    return EXIT_FAILED if o.counts["failed"] or o.counts["skipped"] or o.stopped else EXIT_OK


def summary_line(o: Outcome, dry_run: bool, complete: bool, code: int) -> str:
    result = {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_INCOMPLETE: "incomplete"}.get(code, "error")
    counts = " ".join(f"{k}={o.counts[k]}" for k in COUNTERS)
    return (f"litellm-access summary: result={result} {counts} drift={o.drift} dry_run={str(dry_run).lower()} "
            f"complete_read={str(complete).lower()} exit={code}")


# --- the run ------------------------------------------------------------------------------------

def key_values(desired: Json, min_length: int, env: Mapping[str, str], dry_run: bool = False) -> dict[str, KeyValue]:
    """Each key's value from its Secret (an env var), checked like LiteLLM checks a caller-chosen key.
    In a dry run an unset variable is not an error: that key's value is simply not compared."""
    out: dict[str, KeyValue] = {}
    seen: dict[str, str] = {}
    for k in desired["keys"]:
        source = k["value"]["source"]
        value = env.get(k["value"]["env"], "")
        problem = None
        if not value:
            if dry_run:
                out[k["key_alias"]] = KeyValue(None)
                continue
            problem = f"Secret {source} is empty or missing"
        elif not value.startswith("sk-"):
            problem = f"the value in Secret {source} must start with 'sk-' (LiteLLM refuses other custom keys)"
        elif len(value) < min_length:
            problem = f"the value in Secret {source} must be at least {min_length} characters long (LiteLLM's minimum for custom keys)"
        elif value in seen:
            problem = f"Secret {source} holds the same value as Secret {seen[value]}; every key needs a value of its own"
        else:
            seen[value] = source
        out[k["key_alias"]] = KeyValue(value, problem)
    return out


def wait_ready(api: Api, timeout: int, out: Callable[[str], None] = say) -> bool:
    deadline, attempt, last = time.monotonic() + timeout, 0, "no attempt"
    while time.monotonic() < deadline:
        attempt += 1
        try:
            api.call("GET", "/health/readiness", auth=False, timeout=10)
            out(f"litellm-access: proxy {api.base} is ready (attempt {attempt})")
            return True
        except ApiError as e:
            last = str(e)
        if attempt == 1 or attempt % 10 == 0:
            out(f"litellm-access: proxy {api.base} not ready yet ({last}); retrying")
        time.sleep(3)
    out(f"litellm-access: proxy {api.base} was not ready within {timeout}s (last: {last}); "
        "check the proxy pods and that the NetworkPolicy admits this Job")
    return False


def redacting(out: Callable[[str], None], secrets: Iterable[str]) -> Callable[[str], None]:
    """`out` with every secret (and its sha256, the form LiteLLM stores) replaced by ***."""
    plain = {s for s in secrets if s}
    ordered = sorted(plain | {token_of(s) for s in plain}, key=len, reverse=True)

    def emit(line: str) -> None:
        for s in ordered:
            line = line.replace(s, "***")
        out(line)
    return emit


def reconcile(api: AdminApi, desired: Json, values: Mapping[str, KeyValue], dry_run: bool, out: Callable[[str], None] = say,
              secrets: Iterable[str] = ()) -> int:
    """Read, plan, and (unless dry_run) apply. Prints one line per object and the summary (never a
    key value, its hash or anything in `secrets`); returns the exit code."""
    out = redacting(out, [*secrets, *(v.value for v in values.values() if v.value)])
    actual = read_actual(api)
    p = plan(desired, actual, values)
    for problem in p.problems:
        out(f"litellm-access: could not read the current state completely: {problem}")
    if dry_run or not p.complete:
        if not p.complete and not dry_run:
            out("litellm-access: nothing changed; the plan from what could be read:")
        for line in plan_lines(p):
            out(line)
        o = plan_outcome(p)
    else:
        o = Executor(api, out).run(p)
    code = exit_code(o, p.complete)
    tally = ", ".join(f"{o.counts[k]} {k}" for k in COUNTERS if k != "skipped" or o.counts[k])
    if dry_run or not p.complete:
        verdict = "INCOMPLETE READ" if not p.complete else "dry run" if p.count(*CHANGES) or o.counts["failed"] else "dry run, no changes"
        out(f"litellm-access: {verdict}, nothing changed (plan: {tally})")
    elif code != EXIT_OK:
        out(f"litellm-access: FAILED ({tally})")
        if o.stopped:
            out(f"  stopped: {o.stopped}; the next run carries on")
        for line in o.failures:
            out(f"  - {line}")
    else:
        changes = sum(o.counts[k] for k in ("created", "updated", "rotated", "deleted"))
        out(f"litellm-access: {'no changes' if changes == 0 else 'applied'} ({tally})")
    out(summary_line(o, dry_run, p.complete, code))
    return code


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reconcile.py", description="Makes LiteLLM's teams, users, keys and budgets match the desired state.")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, one line per object, and change nothing")
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    dry_run = bool(args.dry_run) or truthy(env.get("LITELLM_ACCESS_DRY_RUN"))
    try:
        with open(env.get("DESIRED_STATE_PATH", "/etc/litellm-access/desired-state.json")) as f:
            desired = json.load(f)
        master_key = env.get("LITELLM_MASTER_KEY", "")
        if not master_key:
            raise ValueError("LITELLM_MASTER_KEY is empty; check the master key Secret")
        base = f"http://{env['LITELLM_PROXY_HOST']}:{env['LITELLM_PROXY_PORT']}"
        min_length = int(env.get("MINIMUM_CUSTOM_KEY_LENGTH", "16"))
        wait_timeout = int(env.get("WAIT_TIMEOUT_SECONDS", "300"))
        request_timeout = float(env.get("LITELLM_ACCESS_REQUEST_TIMEOUT_SECONDS", "60"))
    except (OSError, ValueError, KeyError) as e:
        what = f"{e} is not set" if isinstance(e, KeyError) else str(e)
        say(f"litellm-access: configuration error: {what}")
        say(summary_line(Outcome(), dry_run, False, EXIT_CONFIG))
        return EXIT_CONFIG
    values = key_values(desired, min_length, env, dry_run)
    secrets = [master_key] + [v.value for v in values.values() if v.value]
    secrets += [token_of(s) for s in secrets]
    api = Api(base, master_key, secrets, env.get("LITELLM_ACCESS_TRACE_FILE"), request_timeout)
    if not wait_ready(api, wait_timeout):
        say(summary_line(Outcome(), dry_run, False, EXIT_NOT_READY))
        return EXIT_NOT_READY
    say(f"litellm-access: desired {len(desired['budgets'])} budget(s), {len(desired['teams'])} team(s), {len(desired['users'])} user(s), "
        f"{len(desired['keys'])} key(s); owner {desired['marker'][OWNER_KEY]}; prune {'on' if desired.get('prune') else 'off'}"
        + ("; DRY RUN: nothing will be changed" if dry_run else ""))
    try:
        return reconcile(api, desired, values, dry_run, secrets=[master_key])
    except Exception as e:  # a bug or an answer of an unexpected shape: say what, never a secret
        say(f"litellm-access: internal error: {api.scrub(f'{type(e).__name__}: {e}')}")
        say(summary_line(Outcome(), dry_run, False, EXIT_FAILED))
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
