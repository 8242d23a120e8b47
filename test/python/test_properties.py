"""Safety by construction, property-tested against the fake admin API (fake_admin.py) over random
desired and current states (worlds.py) and random faults."""
from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reconcile
from fake_admin import ERROR_BEFORE, READ_FAULTS, SHORT_PAGE, TIMEOUT_BEFORE, WRITE_FAULTS, FakeAdmin, sha
from reconcile import CHANGES, DELETE, EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, ROTATING_SUFFIX, plan, read_actual
from worlds import MARKER, MASTER_KEY, OTHER, PREFIX, World, worlds

Json = dict[str, Any]
# 100 examples a property in `npm test`/CI; RECONCILER_EXAMPLES=5000 for a deeper search.
SETTINGS = settings(max_examples=int(os.environ.get("RECONCILER_EXAMPLES", "100")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
faults = st.dictionaries(st.integers(0, 40), st.sampled_from(WRITE_FAULTS), max_size=4)


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two objects a page: every list of a world spans several pages."""
    monkeypatch.setattr(reconcile, "PAGE_SIZE", 2)
    yield


def run(world: World, dry_run: bool = False) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = reconcile.reconcile(world.fake, world.desired, world.values, dry_run, lines.append, secrets=[MASTER_KEY])
    return code, lines


def changes_of(world: World) -> list[str]:
    p = plan(world.desired, read_actual(world.fake), world.values)
    assert p.complete
    return [f"{c.action} {c.kind} {c.ident} {c.detail}" for c in p.changes if c.action in CHANGES]


@SETTINGS
@given(worlds(), faults)
def test_idempotence_and_convergence(world: World, schedule: dict[int, str]) -> None:
    """Applied, a plan re-plans to nothing; after a run broken by faults, the next run converges."""
    world.fake.faults = schedule
    run(world)  # with whatever faults the schedule injects
    world.fake.faults = {}
    code, lines = run(world)
    planned_failures = [line for line in lines if " failed: " in line]
    assert code in (EXIT_OK, EXIT_FAILED)
    # What still fails is what the plan refuses (e.g. a team that holds keys made by hand), never a leftover of the faults.
    assert code == EXIT_OK or planned_failures
    assert changes_of(world) == []


@SETTINGS
@given(worlds(foreign_declared=True, prune=True), faults)
def test_ownership(world: World, schedule: dict[int, str]) -> None:
    """Nothing without this owner's marker is updated or deleted. The exception by design: an object
    with a declared id and no marker at all (made by hand for that id) is taken over. An object of
    another owner is never touched, declared id or not, nor one made by hand that is not declared."""
    before = world.fake.snapshot()
    declared = {"teams": {t["team_id"] for t in world.desired["teams"]}, "users": {u["user_id"] for u in world.desired["users"]}}
    aliases = world.declared_aliases
    world.fake.faults = schedule
    run(world)
    world.fake.faults = {}
    run(world)
    after = world.fake.snapshot()

    wanted = {sha(v.value) for v in world.values.values() if v.value}

    def protected(kind: str, ident: str, row: Json) -> bool:
        meta = row.get("metadata") or {}
        if kind == "keys" and row["token"] in wanted and meta.get("cdk8s_litellm_owner") != OTHER["cdk8s_litellm_owner"]:
            return False  # it holds a declared key's value: it is that key (a rotation half done, by hand or not)
        if meta == {**meta, **MARKER}:
            return False
        if meta.get("cdk8s_litellm_owner") == OTHER["cdk8s_litellm_owner"]:
            return True
        return ident not in declared.get(kind, aliases)

    for kind in ("teams", "users"):
        for ident, row in before[kind].items():
            if protected(kind, ident, row):
                # LiteLLM drops a deleted team from its users' lists: that is not a change of the user.
                keep = ("teams",) if kind == "users" else ()
                assert ident in after[kind], f"{kind} {ident} was deleted"
                assert {k: v for k, v in after[kind][ident].items() if k not in keep} == {k: v for k, v in row.items() if k not in keep}
    for token, row in before["keys"].items():
        if protected("keys", row["key_alias"], row):
            assert after["keys"].get(token) == row, f"key {row['key_alias']} was changed or deleted"
    for bid, row in before["budgets"].items():
        if not bid.startswith(PREFIX):
            assert after["budgets"].get(bid) == row


def read_calls(fake: FakeAdmin) -> int:
    probe = copy.deepcopy(fake)
    probe.log = []
    read_actual(probe)
    return len(probe.log)


@SETTINGS
@given(worlds(prune=True), st.data())
def test_incomplete_reads_change_nothing(world: World, data: st.DataObject) -> None:
    """An error, a timeout, a short page or a total that moves, on any read: no deletion is planned,
    and the run writes nothing at all and exits 2."""
    n = read_calls(world.fake)
    at = data.draw(st.integers(1, n - 1), label="faulty read")  # call 0 is /budget/list: see the next test
    fault = data.draw(st.sampled_from(READ_FAULTS), label="fault")
    world.fake.faults = {at: fault}
    actual = read_actual(copy.deepcopy(world.fake))
    if actual.complete:  # a short page of an empty list: the picture is whole after all
        assert fault == SHORT_PAGE
        return
    p = plan(world.desired, actual, world.values)
    assert [c for c in p.changes if c.action == DELETE] == []
    world.fake.log = []
    code, lines = run(world)
    assert code == EXIT_INCOMPLETE
    assert world.fake.writes == []
    assert lines[-1].startswith("litellm-access summary: result=incomplete ")
    assert "complete_read=false exit=2" in lines[-1]


@SETTINGS
@given(worlds(), st.sampled_from([ERROR_BEFORE, TIMEOUT_BEFORE, SHORT_PAGE]))
def test_a_faulty_budget_list(world: World, fault: str) -> None:
    """/budget/list has no pages and no total in 1.108.14. An error on it is an incomplete read. A short
    list cannot be told from a whole one, but it only hides budgets: a hidden one is neither changed
    nor deleted (a declared one fails to be created: it exists)."""
    world.fake.faults = {0: fault}
    before = world.fake.snapshot()["budgets"]
    code, _ = run(world)
    if fault == SHORT_PAGE:
        hidden = sorted(before)[-1:]
        for bid in hidden:
            assert world.fake.budgets.get(bid) == before[bid]
        return
    assert code == EXIT_INCOMPLETE
    assert world.fake.writes == []


@SETTINGS
@given(worlds(), faults)
def test_rotation_order(world: World, schedule: dict[int, str]) -> None:
    """A declared key is deleted only while its replacement (the Secret's new value) exists."""
    wanted = {a: sha(v.value) for a, v in world.values.items() if v.value}
    violations: list[str] = []

    def check(fake: FakeAdmin, path: str, body: Json) -> None:
        if path != "/key/delete":
            return
        for alias in body.get("key_aliases", []):
            if alias in wanted and wanted[alias] not in fake.keys:
                violations.append(f"{alias} deleted before its replacement existed")
            current = next((t for t, k in fake.keys.items() if k.get("key_alias") == alias), None)
            if alias in wanted and current == wanted[alias]:
                violations.append(f"{alias} deleted although it holds the wanted value")

    world.fake.before_write = check
    world.fake.faults = schedule
    run(world)
    world.fake.faults = {}
    run(world)
    assert violations == []
    # And rotations finish: every declared key of ours holds its Secret's value under its own alias.
    for alias, token in wanted.items():
        row = world.fake.keys.get(token)
        if row is not None and row.get("key_alias") == alias + ROTATING_SUFFIX:
            pytest.fail(f"{alias}: the rotation did not finish")


@SETTINGS
@given(worlds(foreign_declared=True), faults, st.booleans())
def test_no_secret_in_any_output_line(world: World, schedule: dict[int, str], dry_run: bool) -> None:
    """The fake's errors echo the request with its key value and the master key: the output still holds
    no key value, no key hash and not the master key."""
    world.fake.faults = schedule
    _, first = run(world, dry_run)
    world.fake.faults = {}
    _, second = run(world, dry_run)
    text = "\n".join(first + second)
    leaked = [s for s in world.secrets if s in text]
    assert leaked == []


@SETTINGS
@given(worlds(foreign_declared=True))
def test_dry_run_writes_nothing_and_announces_the_run(world: World) -> None:
    """A dry run writes nothing, and the run that follows does, per object, what it announced
    ("would create" -> "created", ...), except what fails because an object it depends on fails."""
    twin = copy.deepcopy(world)
    code, planned = run(world, dry_run=True)
    assert world.fake.writes == []
    assert planned[-1].endswith(f"dry_run=true complete_read=true exit={code}")
    applied_code, applied = run(twin)
    assert applied_code == code
    objects = ("budget ", "team ", "user ", "key ")
    planned_objects = [line for line in planned if line.startswith(objects)]
    applied_objects = [line for line in applied if line.startswith(objects)]
    assert [line.split()[:2] for line in applied_objects] == [line.split()[:2] for line in planned_objects]
    words = {"would create": "created", "would update": "updated", "would rotate": "rotated", "would delete": "deleted", "would fail": "failed"}
    for announced, got in zip(planned_objects, applied_objects, strict=True):
        want = announced
        for planned_word, done in words.items():
            want = want.replace(planned_word, done, 1)
        assert got == want or "failed: depends on" in got
