"""An in-memory stand-in for LiteLLM 1.108.14's admin API, as far as the reconciler uses it.

Its semantics follow what the e2e suite (test/e2e/governance.e2e.test.ts) exercises on the
real proxy and the recorded answers in fixtures/: list endpoints page like the real ones
(field names included), /key/generate upserts on the value, deleting a team or a user deletes
its keys, /user/update ignores empty values except limits. Faults are injected per call:
an error before the write is applied, an error after it (the answer lost), a timeout, a
short page or a total that changes while paging. Error messages echo the request, secrets
included, to prove the reconciler never prints them.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconcile import ApiError

Json = dict[str, Any]

# Faults, by when they strike.
ERROR_BEFORE = "500 before"  # the proxy fails before writing: nothing changed
ERROR_AFTER = "500 after"  # the write happened, the answer is a 500
TIMEOUT_BEFORE = "timeout before"  # no answer, nothing changed
TIMEOUT_AFTER = "timeout after"  # the write happened, the answer never came
SHORT_PAGE = "short page"  # a list page misses its last item
TOTAL_CHANGES = "total changes"  # a list's total differs from the previous page's
WRITE_FAULTS = (ERROR_BEFORE, ERROR_AFTER, TIMEOUT_BEFORE, TIMEOUT_AFTER)
READ_FAULTS = (ERROR_BEFORE, TIMEOUT_BEFORE, SHORT_PAGE, TOTAL_CHANGES)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class FakeAdmin:
    budgets: dict[str, Json] = field(default_factory=dict)
    teams: dict[str, Json] = field(default_factory=dict)
    users: dict[str, Json] = field(default_factory=dict)
    keys: dict[str, Json] = field(default_factory=dict)  # by token
    master_key: str = "sk-master-fake-0000"
    # call number (0-based, every call counts) -> fault
    faults: dict[int, str] = field(default_factory=dict)
    log: list[tuple[str, str, Json | None]] = field(default_factory=list)
    # Called before every write with (path, body); may record a violated invariant.
    before_write: Callable[[FakeAdmin, str, Json], None] | None = None

    # --- set-up helpers -------------------------------------------------------------------
    def add_key(self, value: str, **fields: Any) -> Json:
        token = sha(value)
        row: Json = {"token": token, "key_alias": None, "team_id": None, "user_id": None, "budget_id": None, "models": [],
                     "max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None, "max_parallel_requests": None,
                     "blocked": None, "metadata": {}, "spend": 0.0}
        row.update(copy.deepcopy(fields))
        self.keys[token] = row
        return row

    def snapshot(self) -> Json:
        return copy.deepcopy({"budgets": self.budgets, "teams": self.teams, "users": self.users, "keys": self.keys})

    @property
    def writes(self) -> list[tuple[str, Json]]:
        return [(p, b or {}) for m, p, b in self.log if m == "POST"]

    # --- the API ----------------------------------------------------------------------------
    def call(self, method: str, path: str, body: Json | None = None, query: Mapping[str, Any] | None = None) -> Any:
        n = len(self.log)
        self.log.append((method, path, copy.deepcopy(body)))
        fault = self.faults.get(n)
        echo = f"{method} {path} {json.dumps(body)} (Authorization: Bearer {self.master_key})"
        if fault == ERROR_BEFORE:
            raise ApiError(500, f"Internal Server Error: {echo}")
        if fault == TIMEOUT_BEFORE:
            raise ApiError(0, f"{method} {path}: timed out")
        if method == "GET":
            return self.get(path, dict(query or {}), fault)
        assert body is not None
        if self.before_write is not None:
            self.before_write(self, path, body)
        result = self.post(path, body)
        if fault == ERROR_AFTER:
            raise ApiError(500, f"Internal Server Error after writing: {echo}")
        if fault == TIMEOUT_AFTER:
            raise ApiError(0, f"{method} {path}: timed out")
        return result

    def page(self, rows: list[Json], query: Json, size_param: str, fault: str | None) -> tuple[list[Json], int, int, int]:
        size = int(query.get(size_param, 10))
        page = int(query.get("page", 1))
        total = len(rows)
        items = copy.deepcopy(rows[(page - 1) * size: page * size])
        if fault == SHORT_PAGE and items:
            items = items[:-1]
        if fault == TOTAL_CHANGES:
            total += 1
        return items, total, math.ceil(total / size), page

    def get(self, path: str, query: Json, fault: str | None) -> Any:
        if path == "/budget/list":
            rows = copy.deepcopy(sorted(self.budgets.values(), key=lambda b: b["budget_id"]))
            return rows[:-1] if fault == SHORT_PAGE and rows else rows
        if path == "/v2/team/list":
            items, total, pages, page = self.page(sorted(self.teams.values(), key=lambda t: t["team_id"]), query, "page_size", fault)
            return {"teams": items, "total": total, "page": page, "page_size": int(query["page_size"]), "total_pages": pages}
        if path == "/user/list":
            items, total, pages, page = self.page(sorted(self.users.values(), key=lambda u: u["user_id"]), query, "page_size", fault)
            return {"users": items, "total": total, "page": page, "page_size": int(query["page_size"]), "total_pages": pages}
        if path == "/key/list":
            items, total, pages, page = self.page(sorted(self.keys.values(), key=lambda k: k["token"]), query, "size", fault)
            return {"keys": items, "total_count": total, "current_page": page, "total_pages": pages}
        if path == "/key/info":
            row = self.keys.get(str(query.get("key")))
            if row is None:
                raise ApiError(404, "key not found")
            return {"key": row["token"], "info": copy.deepcopy(row)}
        raise ApiError(404, f"GET {path}: not found")

    def find_key(self, body: Json) -> Json:
        ref = body.get("key")
        row: Json | None
        if isinstance(ref, str):
            row = self.keys.get(sha(ref) if ref.startswith("sk-") else ref)
        else:
            row = next((k for k in self.keys.values() if k.get("key_alias") == body.get("key_alias")), None)
        if row is None:
            raise ApiError(404, "key not found")
        return row

    def post(self, path: str, body: Json) -> Any:
        body = copy.deepcopy(body)
        if path == "/budget/new":
            if body["budget_id"] in self.budgets:
                raise ApiError(400, "budget exists")
            row = dict.fromkeys(("max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests"))
            self.budgets[body["budget_id"]] = {**row, **body}
            return body
        if path == "/budget/update":
            b = self.budgets.get(body["budget_id"])
            if b is None:
                return None  # what 1.108.14 answers for a budget that does not exist
            b.update(body)
            return b
        if path == "/budget/delete":
            if self.budgets.pop(body["id"], None) is None:
                raise ApiError(400, "budget not found")
            return {}
        if path == "/team/new":
            if body["team_id"] in self.teams:
                raise ApiError(400, f"Team id = {body['team_id']} already exists. Please use a different team id.")
            row = {"team_alias": None, "models": [], "max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None,
                   "blocked": False, "metadata": {}}
            self.teams[body["team_id"]] = {**row, **body}
            return body
        if path == "/team/update":
            t = self.teams.get(body["team_id"])
            if t is None:
                raise ApiError(400, "team not found")
            t.update(body)
            return t
        if path in ("/team/member_add", "/team/member_delete"):
            uid = body["member"]["user_id"] if path.endswith("add") else body["user_id"]
            if body["team_id"] not in self.teams or uid not in self.users:
                raise ApiError(400, "team or user not found")
            teams = self.users[uid]["teams"]
            if path.endswith("add") and body["team_id"] not in teams:
                teams.append(body["team_id"])
            if path.endswith("delete") and body["team_id"] in teams:
                teams.remove(body["team_id"])
            return {}
        if path == "/team/delete":
            for tid in body["team_ids"]:
                if self.teams.pop(tid, None) is None:
                    raise ApiError(400, "team not found")
                self.keys = {t: k for t, k in self.keys.items() if k.get("team_id") != tid}
                for u in self.users.values():
                    if tid in u["teams"]:
                        u["teams"].remove(tid)
            return {}
        if path == "/user/new":
            if body["user_id"] in self.users:
                raise ApiError(400, "user exists")
            row = {"user_email": None, "user_alias": None, "user_role": None, "models": [], "max_budget": None, "budget_duration": None,
                   "rpm_limit": None, "tpm_limit": None, "max_parallel_requests": None, "metadata": {}, "teams": []}
            body.pop("auto_create_key", None)
            self.users[body["user_id"]] = {**row, **body}
            return body
        if path == "/user/update":
            user = self.users.get(body["user_id"])
            if user is None:
                raise ApiError(400, "user not found")
            clearable = {"max_budget", "budget_duration", "rpm_limit", "tpm_limit"}
            user.update({k: v for k, v in body.items() if k in clearable or v not in (None, [], {})})
            return user
        if path == "/user/delete":
            for uid in body["user_ids"]:
                if self.users.pop(uid, None) is None:
                    raise ApiError(400, "user not found")
                self.keys = {t: k for t, k in self.keys.items() if k.get("user_id") != uid}
            return {}
        if path == "/key/generate":
            value = body.pop("key")
            token = sha(value)
            if token in self.keys:
                return dict(body, key=value)  # upsert on the value: answers 200, changes nothing
            if body.get("team_id") is not None and body["team_id"] not in self.teams:
                raise ApiError(400, f"team not found: {json.dumps(body)}")
            body.pop("duration", None)
            self.add_key(value, **body)
            return dict(body, key=value)
        if path == "/key/update":
            row = self.find_key(body)
            row.update({k: v for k, v in body.items() if k != "key"})
            return row
        if path == "/key/delete":
            aliases = body.get("key_aliases") or []
            gone = [t for t, k in self.keys.items() if k.get("key_alias") in aliases]
            if not gone:
                raise ApiError(404, f"no key with alias {aliases}")
            for token in gone:
                del self.keys[token]
            return {"deleted_keys": aliases}
        raise ApiError(404, f"POST {path}: not found")
