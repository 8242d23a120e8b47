"""The reconciler's parts one by one: the HTTP client, paging, the executor's fault rules, the
summary line and exit codes, the command line. Property tests: test_properties.py; the planner
against answers recorded from the real proxy: test_recorded.py."""
from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reconcile
from fake_admin import ERROR_AFTER, ERROR_BEFORE, SHORT_PAGE, TIMEOUT_AFTER, TOTAL_CHANGES, FakeAdmin, sha
from reconcile import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_NOT_READY,
    EXIT_OK,
    Actual,
    Api,
    ApiError,
    KeyValue,
    Listing,
    key_values,
    plan,
    read_pages,
)

Json = dict[str, Any]
PROGRAM = Path(__file__).resolve().parents[2] / "lib" / "access" / "reconcile.py"
MARKER = {"managed_by": "cdk8s-litellm", "cdk8s_litellm_owner": "llm/litellm"}
MASTER = "sk-master-unit-0123456789"
VALUE = "sk-unit-value-0123456789abcdef"


def desired(**over: Any) -> Json:
    d: Json = {"version": 1, "marker": dict(MARKER), "prune": False, "budget_prefix": "cdk8s-litellm:llm/litellm:",
               "budgets": [], "teams": [], "users": [], "keys": []}
    d.update(over)
    return d


def team(tid: str, **over: Any) -> Json:
    t: Json = {"team_id": tid, "team_alias": None, "models": [], "max_budget": None, "budget_duration": None, "rpm_limit": None,
               "tpm_limit": None, "blocked": False, "metadata": dict(MARKER)}
    t.update(over)
    return t


def key(alias: str, **over: Any) -> Json:
    k: Json = {"key_alias": alias, "value": {"env": "LITELLM_ACCESS_KEY_0", "source": f"access-keys/{alias}"}, "team_id": None,
               "user_id": None, "budget_id": None, "models": [], "max_budget": None, "budget_duration": None, "rpm_limit": None,
               "tpm_limit": None, "max_parallel_requests": None, "duration": None, "blocked": False, "metadata": dict(MARKER)}
    k.update(over)
    return k


def run(fake: FakeAdmin, d: Json, values: dict[str, KeyValue] | None = None, dry_run: bool = False) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = reconcile.reconcile(fake, d, values or {}, dry_run, lines.append, secrets=[fake.master_key])
    return code, lines


def summary(lines: list[str]) -> dict[str, str]:
    assert lines[-1].startswith("litellm-access summary: ")
    return dict(pair.split("=", 1) for pair in lines[-1].removeprefix("litellm-access summary: ").split())


# --- the HTTP client --------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    answers: list[tuple[int, bytes]] = []
    seen: list[tuple[str, str, str]] = []

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        Handler.seen.append((self.command, self.path, body))
        status, payload = Handler.answers.pop(0) if Handler.answers else (200, b"{}")
        if status == 0:  # hang: longer than the client's timeout
            threading.Event().wait(1.5)
            status = 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.answers, Handler.seen = [], []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_gets_are_retried_on_faults_writes_never(server: str) -> None:
    api = Api(server, MASTER, [MASTER], timeout=1, retry_sleep=0.01)
    Handler.answers = [(500, b'{"detail": {"error": "db down"}}'), (503, b"{}"), (200, b'{"ok": 1}')]
    assert api.call("GET", "/x") == {"ok": 1}
    assert len(Handler.seen) == 3
    Handler.answers = [(500, b'{"detail": {"error": "db down"}}')]
    with pytest.raises(ApiError) as e:
        api.call("POST", "/y", {"a": 1})
    assert (e.value.status, e.value.fault, str(e.value)) == (500, True, "HTTP 500: db down")
    assert len(Handler.seen) == 4
    # A refusal (4xx) is not retried and is no fault.
    Handler.answers = [(400, b'{"error": {"message": "bad"}}')]
    with pytest.raises(ApiError) as e:
        api.call("GET", "/z")
    assert (e.value.fault, str(e.value), len(Handler.seen)) == (False, "HTTP 400: bad", 5)


def test_a_timeout_and_a_non_json_answer_are_faults(server: str) -> None:
    api = Api(server, MASTER, [MASTER], timeout=0.3, retry_sleep=0.01)
    Handler.answers = [(0, b"{}")]
    with pytest.raises(ApiError) as e:
        api.call("POST", "/slow", {})
    assert e.value.status == 0 and e.value.fault and "timed out" in str(e.value)
    Handler.answers = [(200, b"<html>gateway</html>")]
    with pytest.raises(ApiError) as e:
        api.call("POST", "/html", {})
    assert e.value.fault and "not JSON" in str(e.value)


def test_errors_and_the_trace_never_hold_a_secret(server: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    api = Api(server, MASTER, [MASTER, VALUE, sha(VALUE)], trace_path=str(trace), timeout=1, retry_sleep=0.01)
    Handler.answers = [(400, json.dumps({"detail": f"key {VALUE} ({sha(VALUE)}) refused for Bearer {MASTER}"}).encode())]
    with pytest.raises(ApiError) as e:
        api.call("POST", "/key/generate", {"key": VALUE, "key_alias": "a"})
    assert str(e.value) == "HTTP 400: key *** (***) refused for Bearer ***"
    assert Handler.seen[0][2] == json.dumps({"key": VALUE, "key_alias": "a"})  # the proxy got the value
    text = trace.read_text()
    assert VALUE not in text and '"key": "***"' in text


# --- reading ----------------------------------------------------------------------------------

@pytest.fixture
def pages_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconcile, "PAGE_SIZE", 2)


@pytest.mark.usefixtures("pages_of_two")
@pytest.mark.parametrize(("fault", "problem"), [
    (None, ""),
    (ERROR_BEFORE, "page 2: HTTP 500: Internal Server Error"),
    (SHORT_PAGE, "page 2 of 3: 1 items, fewer than the page size 2"),
    (TOTAL_CHANGES, "page 2: the total changed while reading (5 -> 6)"),
])
def test_a_list_is_complete_only_when_every_page_adds_up(fault: str | None, problem: str) -> None:
    fake = FakeAdmin()
    for i in range(5):
        fake.teams[f"t{i}"] = team(f"t{i}")
    if fault:
        fake.faults = {1: fault}
    listing = read_pages(fake, "/v2/team/list", "teams", "total", "page_size", "team_id", {})
    assert listing.problem.startswith(problem)
    assert listing.complete == (fault is None)
    if fault is None:
        assert [t["team_id"] for t in listing.items] == [f"t{i}" for i in range(5)]


@pytest.mark.usefixtures("pages_of_two")
def test_a_short_last_page_and_a_repeated_object_are_incomplete_reads() -> None:
    class Shifting(FakeAdmin):
        """Page 2 repeats an object of page 1: one was deleted meanwhile."""

        def get(self, path: str, query: Json, fault: str | None) -> Any:
            r = super().get(path, query, fault)
            if path == "/v2/team/list" and query["page"] == 2:
                r["teams"][0] = self.teams["t0"]
            return r

    shifting = Shifting()
    for i in range(4):
        shifting.teams[f"t{i}"] = team(f"t{i}")
    assert "appeared twice" in read_pages(shifting, "/v2/team/list", "teams", "total", "page_size", "team_id", {}).problem
    fake = FakeAdmin(faults={1: SHORT_PAGE})
    for i in range(3):
        fake.teams[f"t{i}"] = team(f"t{i}")
    assert read_pages(fake, "/v2/team/list", "teams", "total", "page_size", "team_id", {}).problem == "2 items read, the proxy counts 3"


def test_an_incomplete_read_plans_no_deletion_and_no_creation_in_that_list() -> None:
    d = desired(prune=True, teams=[team("new")])
    ours = team("old")
    actual = Actual(Listing([]), Listing([ours], "page 2: timed out"), Listing([]), Listing([]))
    p = plan(d, actual, {})
    assert [(c.kind, c.ident, c.action, c.detail) for c in p.changes] == [
        ("team", "new", "fail", "not created: the team list was read incompletely; it may exist"),
        ("team", "old", "kept", "not deleted: the current state was read incompletely"),
    ]
    assert p.problems == ["team list: page 2: timed out"]


# --- applying ---------------------------------------------------------------------------------

def test_after_a_fault_no_deletion_starts_and_three_in_a_row_stop_the_run() -> None:
    fake = FakeAdmin()
    fake.teams["gone"] = team("gone")
    d = desired(prune=True, teams=[team(f"t{i}") for i in range(5)])
    # Reads are calls 0..4 (budgets, teams, users, keys; one page each); writes start at 4.
    fake.faults = {4: ERROR_BEFORE}
    code, lines = run(fake, d)
    assert code == EXIT_FAILED
    assert "team    gone                             skipped: not deleted: the admin API failed earlier in this run" in lines
    assert "gone" in fake.teams
    assert summary(lines)["failed"] == "1" and summary(lines)["skipped"] == "1" and summary(lines)["created"] == "4"

    fake = FakeAdmin(faults={4: TIMEOUT_AFTER, 5: ERROR_AFTER, 6: ERROR_BEFORE})
    code, lines = run(fake, d)
    assert code == EXIT_FAILED
    assert [line for line in lines if line.startswith("team    t")][3:] == [
        f"team    t{i}                               skipped: not attempted: the admin API failed 3 times in a row" for i in (3, 4)]
    assert "  stopped: the admin API failed 3 times in a row; the next run carries on" in lines
    assert len(fake.writes) == 3  # nothing after the third fault
    assert sorted(fake.teams) == ["t0", "t1"]  # two writes went through although they were answered with errors
    # The next run converges.
    code, lines = run(FakeAdmin(teams=fake.teams), d)
    assert code == EXIT_OK
    assert summary(lines) | {"created": "3"} == summary(lines)


def test_a_key_whose_replacement_fails_is_not_deleted() -> None:
    old = "sk-unit-old-value-0123456789"
    fake = FakeAdmin()
    fake.add_key(old, key_alias="ci", metadata=dict(MARKER))
    d = desired(keys=[key("ci")])
    fake.faults = {4: ERROR_BEFORE}  # the /key/generate of the replacement
    code, lines = run(fake, d, {"ci": KeyValue(VALUE)})
    assert code == EXIT_FAILED
    assert [p for p, _ in fake.writes] == ["/key/generate"]
    assert fake.keys[sha(old)]["key_alias"] == "ci"
    code, lines = run(fake, d, {"ci": KeyValue(VALUE)})
    assert (code, [p for p, _ in fake.writes][1:]) == (EXIT_OK, ["/key/generate", "/key/delete", "/key/update"])
    assert "key     ci                               rotated" in lines
    assert list(fake.keys) == [sha(VALUE)] and fake.keys[sha(VALUE)]["key_alias"] == "ci"


def test_dry_run_prints_the_plan_and_writes_nothing() -> None:
    fake = FakeAdmin()
    fake.teams["a"] = team("a", max_budget=5)
    fake.teams["old"] = team("old")
    d = desired(prune=True, teams=[team("a"), team("b")], keys=[key("ci")])
    code, lines = run(fake, d, {"ci": KeyValue(VALUE)}, dry_run=True)
    assert code == EXIT_OK
    assert fake.writes == []
    assert lines == [
        "team    a                                would update: max_budget",
        "team    b                                would create",
        "key     ci                               would create",
        "team    old                              would delete",
        "litellm-access: dry run, nothing changed (plan: 2 created, 1 updated, 0 rotated, 1 deleted, 0 unchanged, 0 kept, 0 failed)",
        "litellm-access summary: result=ok created=2 updated=1 rotated=0 deleted=1 unchanged=0 kept=0 skipped=0 failed=0 drift=1 "
        "dry_run=true complete_read=true exit=0",
    ]


def test_a_dry_run_without_key_values_compares_everything_else() -> None:
    fake = FakeAdmin()
    fake.add_key(VALUE, key_alias="ci", metadata=dict(MARKER), rpm_limit=5)
    values = key_values(desired(keys=[key("ci")]), 16, {}, dry_run=True)
    assert values == {"ci": KeyValue(None)}
    code, lines = run(fake, desired(keys=[key("ci")]), values, dry_run=True)
    assert code == EXIT_OK
    assert lines[0] == "key     ci                               would update: rpm_limit; value not compared (its variable is not set)"


def test_key_values_are_checked_like_litellm_checks_them() -> None:
    d = desired(keys=[key("a", value={"env": "A", "source": "s/a"}), key("b", value={"env": "B", "source": "s/b"}),
                      key("c", value={"env": "C", "source": "s/c"}), key("d", value={"env": "D", "source": "s/d"})])
    values = key_values(d, 16, {"A": "not-sk", "B": "sk-short", "C": VALUE, "D": VALUE})
    assert values["a"].problem == "the value in Secret s/a must start with 'sk-' (LiteLLM refuses other custom keys)"
    assert values["b"].problem == "the value in Secret s/b must be at least 16 characters long (LiteLLM's minimum for custom keys)"
    assert values["c"] == KeyValue(VALUE)
    assert values["d"].problem == "Secret s/d holds the same value as Secret s/c; every key needs a value of its own"
    assert key_values(d, 16, {})["a"].problem == "Secret s/a is empty or missing"


# --- the command line ---------------------------------------------------------------------------

def program(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PROGRAM), *args], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path)


def test_configuration_errors_exit_3_with_a_summary(tmp_path: Path) -> None:
    state = tmp_path / "desired-state.json"
    state.write_text(json.dumps(desired()))
    r = program(tmp_path, env={"DESIRED_STATE_PATH": str(state), "LITELLM_PROXY_HOST": "127.0.0.1", "LITELLM_PROXY_PORT": "9"})
    assert r.returncode == EXIT_CONFIG
    assert r.stdout.splitlines() == [
        "litellm-access: configuration error: LITELLM_MASTER_KEY is empty; check the master key Secret",
        "litellm-access summary: result=error created=0 updated=0 rotated=0 deleted=0 unchanged=0 kept=0 skipped=0 failed=0 drift=0 "
        "dry_run=false complete_read=false exit=3",
    ]
    r = program(tmp_path, "--dry-run", env={"DESIRED_STATE_PATH": str(tmp_path / "missing.json"), "LITELLM_MASTER_KEY": MASTER})
    assert r.returncode == EXIT_CONFIG and "dry_run=true" in r.stdout and MASTER not in r.stdout
    assert program(tmp_path, "--bogus", env={}).returncode == 2  # argparse's own usage error
    assert "--dry-run" in program(tmp_path, "--help", env={}).stdout


def test_a_proxy_that_never_gets_ready_exits_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda _s: None)
    state = tmp_path / "desired-state.json"
    state.write_text(json.dumps(desired()))
    env = {"DESIRED_STATE_PATH": str(state), "LITELLM_MASTER_KEY": MASTER, "LITELLM_PROXY_HOST": "127.0.0.1", "LITELLM_PROXY_PORT": "9",
           "WAIT_TIMEOUT_SECONDS": "0", "LITELLM_ACCESS_DRY_RUN": "true"}
    lines: list[str] = []
    monkeypatch.setattr(reconcile, "say", lines.append)
    assert reconcile.main([], env) == EXIT_NOT_READY
    assert lines[-1].endswith("dry_run=true complete_read=false exit=4")


def test_an_incomplete_read_exits_2_and_prints_what_it_would_have_done() -> None:
    fake = FakeAdmin(faults={3: ERROR_BEFORE})  # the key list
    fake.teams["old"] = team("old")
    code, lines = run(fake, desired(prune=True, teams=[team("a")]))
    assert code == EXIT_INCOMPLETE
    assert fake.writes == []
    assert lines[:3] == [
        "litellm-access: could not read the current state completely: key list: page 1: HTTP 500: Internal Server Error: "
        'GET /key/list null (Authorization: Bearer ***)',
        "litellm-access: nothing changed; the plan from what could be read:",
        "team    a                                would create",
    ]
    assert "team    old                              not declared: not deleted: the current state was read incompletely" in lines
    assert summary(lines)["result"] == "incomplete"
