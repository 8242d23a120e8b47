"""The planner against answers recorded from the real proxy (LiteLLM 1.108.14 on PostgreSQL, see
fixtures/README.md): for each recorded moment of the e2e suite, planning from what the admin API
answered predicts, object by object, what the real run then did."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import reconcile
from fake_admin import sha
from reconcile import key_values

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCENARIOS = sorted(p.name for p in FIXTURES.iterdir() if (p / "run.log").exists())
LISTS = {"/budget/list": "budget-list", "/v2/team/list": "team-list", "/user/list": "user-list", "/key/list": "key-list"}
DONE = {"would create": "created", "would update": "updated", "would rotate": "rotated", "would delete": "deleted", "would fail": "failed"}


class Replay:
    """Answers the reads with the recorded answers; any write is a test failure."""

    def __init__(self, answers: Path) -> None:
        self.answers = answers
        self.read: list[str] = []

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, query: Any = None) -> Any:
        assert method == "GET", f"a dry run wrote: {method} {path}"
        name = LISTS[path] + ("" if path == "/budget/list" else f".page-{query['page']}")
        self.read.append(name)
        return json.loads((self.answers / f"{name}.json").read_text())


def objects(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("budget ", "team ", "user ", "key "))]


def done(line: str) -> str:
    for planned, applied in DONE.items():
        line = line.replace(planned, applied, 1)
    return line


def summary(lines: list[str]) -> dict[str, str]:
    line = next(line for line in lines if line.startswith("litellm-access summary: "))
    return dict(pair.split("=", 1) for pair in line.removeprefix("litellm-access summary: ").split())


def test_there_are_recorded_answers() -> None:
    assert {"fresh", "created", "drifted", "changed", "rotation", "interrupted-rotation", "prune-refused"} <= set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_plan_from_recorded_answers_is_what_the_real_run_did(scenario: str) -> None:
    folder = FIXTURES / scenario
    desired = json.loads((folder / "desired-state.json").read_text())
    env = json.loads((folder / "key-env.json").read_text())
    replay = Replay(folder / "answers")
    lines: list[str] = []
    code = reconcile.reconcile(replay, desired, key_values(desired, 16, env), True, lines.append)
    real = (folder / "run.log").read_text().splitlines()
    assert [done(line) for line in objects(lines)] == objects(real)
    counters = ("created", "updated", "rotated", "deleted", "unchanged", "kept", "failed", "drift", "complete_read", "exit")
    assert {k: summary(lines)[k] for k in counters} == {k: summary(real)[k] for k in counters}
    assert code == int(summary(real)["exit"])
    # Every recorded page was read, and no value or hash of a key appears in the plan.
    assert sorted(replay.read) == sorted(p.stem for p in (folder / "answers").glob("*.json"))
    text = "\n".join(lines)
    assert [v for v in env.values() if v in text or sha(v) in text] == []
