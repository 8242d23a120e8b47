"""Hypothesis strategies: a desired state as GovernanceReconciler renders it (desired-state.json) and a
current state in the fake admin API, with objects of this owner, of another owner, made by hand
(no marker), drifted fields, old key values and half-done rotations."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from fake_admin import FakeAdmin, sha
from reconcile import MARKER_KEY, OWNER_KEY, ROTATING_SUFFIX, KeyValue

Json = dict[str, Any]

OWNER = "llm/litellm"
MARKER = {MARKER_KEY: "cdk8s-litellm", OWNER_KEY: OWNER}
OTHER = {MARKER_KEY: "cdk8s-litellm", OWNER_KEY: "llm/other"}
PREFIX = f"cdk8s-litellm:{OWNER}:"
TEAM_IDS = ["t1", "t2", "t3", "t4"]
USER_IDS = ["u1", "u2", "u3"]
KEY_ALIASES = ["k1", "k2", "k3", "k4"]
BUDGET_IDS = [PREFIX + b for b in ("b1", "b2", "b3")]
MODELS = ["m1", "m2", "m3"]
MASTER_KEY = "sk-master-0123456789abcdef"

# How an object of the current state relates to this owner.
ABSENT, OURS, BY_HAND, FOREIGN = "absent", "ours", "by hand", "foreign"

# Built once: a strategy built per draw costs more than the draw.
BOOLS = st.booleans()
MODEL_LISTS = st.lists(st.sampled_from(MODELS), unique=True)
NO_LIMIT_OR = {v: st.sampled_from([None, v]) for v in (10, 1000, "30d", "7d", 3, 60)}
BUDGETS = st.sampled_from([None, 1, 2.5])
EXTRA_META: st.SearchStrategy[Json] = st.sampled_from([{}, {"costCenter": "cc-1"}, {"model_rpm_limit": {"m1": 5}}])
DESIRED_META: st.SearchStrategy[Json] = st.sampled_from([{}, {"costCenter": "cc-1"}])
OWNERSHIP = {True: st.sampled_from([ABSENT, OURS, BY_HAND, FOREIGN]), False: st.sampled_from([ABSENT, OURS, BY_HAND])}


@dataclass
class World:
    desired: Json
    values: dict[str, KeyValue]
    fake: FakeAdmin
    # Every secret the run knows or could see: key values, old values, their hashes, the master key.
    secrets: set[str] = field(default_factory=set)

    @property
    def declared_aliases(self) -> set[str]:
        return {k["key_alias"] for k in self.desired["keys"]}


def ownership(draw: st.DrawFn, declared: bool, foreign_declared: bool) -> str:
    return draw(OWNERSHIP[foreign_declared or not declared])


def metadata_for(draw: st.DrawFn, how: str) -> Json:
    extra = draw(EXTRA_META)
    base = {OURS: MARKER, FOREIGN: OTHER}.get(how, {})
    return {**extra, **base}


def limits(draw: st.DrawFn) -> Json:
    return {
        "max_budget": draw(BUDGETS),
        "budget_duration": draw(NO_LIMIT_OR["30d"]),
        "rpm_limit": draw(NO_LIMIT_OR[10]),
        "tpm_limit": draw(NO_LIMIT_OR[1000]),
    }


@st.composite
def worlds(draw: st.DrawFn, foreign_declared: bool = False, prune: bool | None = None) -> World:
    """foreign_declared: another owner may hold a declared id (a conflict the run must refuse)."""
    fake = FakeAdmin(master_key=MASTER_KEY)
    teams = draw(st.lists(st.sampled_from(TEAM_IDS), unique=True))
    users = draw(st.lists(st.sampled_from(USER_IDS), unique=True))
    budgets = draw(st.lists(st.sampled_from(BUDGET_IDS), unique=True))
    aliases = draw(st.lists(st.sampled_from(KEY_ALIASES), unique=True))
    # Unique by construction: one value per declared key, one old value per possible key.
    uuids = draw(st.lists(st.uuids(), unique=True, min_size=3 * len(KEY_ALIASES) + 2, max_size=3 * len(KEY_ALIASES) + 2))
    fresh = [f"sk-{u.hex}" for u in uuids]

    def desired_meta() -> Json:
        return {**draw(DESIRED_META), **MARKER}

    d_teams = [{"team_id": t, "team_alias": draw(st.sampled_from([None, f"{t} alias"])), "models": draw(MODEL_LISTS),
                **limits(draw), "blocked": draw(BOOLS), "metadata": desired_meta()} for t in teams]
    d_users = []
    for u in users:
        user: Json = {"user_id": u, "user_role": "internal_user", **limits(draw), "metadata": desired_meta(),
                      "teams": draw(st.lists(st.sampled_from(teams), unique=True)) if teams else []}
        if draw(BOOLS):
            user["user_email"] = f"{u}@example.com"
        if draw(BOOLS):
            user["models"] = draw(MODEL_LISTS)
        d_users.append(user)
    d_budgets = [{"budget_id": b, "max_budget": draw(NO_LIMIT_OR[3]), "soft_budget": None, "budget_duration": draw(NO_LIMIT_OR["7d"]),
                  "rpm_limit": draw(NO_LIMIT_OR[60]), "tpm_limit": None, "max_parallel_requests": None} for b in budgets]
    d_keys = []
    values: dict[str, KeyValue] = {}
    for i, a in enumerate(aliases):
        d_keys.append({
            "key_alias": a, "value": {"env": f"LITELLM_ACCESS_KEY_{i}", "source": f"access-keys/{a}"},
            "team_id": draw(st.sampled_from([None, *teams])), "user_id": draw(st.sampled_from([None, *users])),
            "budget_id": draw(st.sampled_from([None, *budgets])), "models": draw(MODEL_LISTS),
            **limits(draw), "max_parallel_requests": None, "duration": None, "blocked": draw(BOOLS), "metadata": desired_meta(),
        })
        values[a] = KeyValue(fresh[i])
    desired = {"version": 1, "marker": dict(MARKER), "prune": draw(BOOLS) if prune is None else prune, "budget_prefix": PREFIX,
               "budgets": d_budgets, "teams": d_teams, "users": d_users, "keys": d_keys}

    # --- the current state ------------------------------------------------------------------
    for t in TEAM_IDS:
        how = ownership(draw, t in teams, foreign_declared)
        if how != ABSENT:
            fake.teams[t] = {"team_id": t, "team_alias": draw(st.sampled_from([None, f"{t} alias", "renamed"])),
                             "models": draw(MODEL_LISTS), **limits(draw), "blocked": draw(BOOLS),
                             "metadata": metadata_for(draw, how)}
    for u in USER_IDS:
        how = ownership(draw, u in users, foreign_declared)
        if how != ABSENT:
            fake.users[u] = {"user_id": u, "user_email": draw(st.sampled_from([None, f"{u}@example.com"])), "user_alias": None,
                             "user_role": "internal_user", "models": draw(MODEL_LISTS), **limits(draw),
                             "max_parallel_requests": None, "metadata": metadata_for(draw, how),
                             "teams": draw(st.lists(st.sampled_from(sorted(fake.teams)), unique=True)) if fake.teams else []}
    for b in [*BUDGET_IDS, "someone-elses-budget"]:
        if draw(BOOLS):
            fake.budgets[b] = {"budget_id": b, "max_budget": draw(st.sampled_from([None, 3, 4])), "soft_budget": None,
                               "budget_duration": draw(NO_LIMIT_OR["7d"]), "rpm_limit": None, "tpm_limit": None, "max_parallel_requests": None}
    old = iter(fresh[len(KEY_ALIASES):])
    for a in [*KEY_ALIASES, *(k + ROTATING_SUFFIX for k in KEY_ALIASES), "by-hand-1", "by-hand-2"]:
        base = a.removesuffix(ROTATING_SUFFIX)
        declared = base in aliases and a == base
        if a.endswith(ROTATING_SUFFIX):
            how = draw(st.sampled_from([ABSENT, ABSENT, OURS, BY_HAND]))  # a half-done rotation, now and then
        elif a.startswith("by-hand"):
            how = draw(st.sampled_from([ABSENT, BY_HAND, FOREIGN]))
        else:
            how = ownership(draw, declared, foreign_declared)
        if how == ABSENT:
            continue
        # The current value, or a new one (a rotation is due, or was half done).
        value = values[base].value if base in values and draw(BOOLS) else next(old)
        assert value is not None
        if sha(value) in fake.keys:
            continue
        fake.add_key(value, key_alias=a, team_id=draw(st.sampled_from([None, *sorted(fake.teams)])),
                     user_id=draw(st.sampled_from([None, *sorted(fake.users)])), budget_id=draw(st.sampled_from([None, *sorted(fake.budgets)])),
                     models=draw(MODEL_LISTS), **limits(draw), blocked=draw(st.sampled_from([None, False, True])),
                     metadata=metadata_for(draw, how))
    secrets = {MASTER_KEY, sha(MASTER_KEY), *fresh, *(sha(v) for v in fresh), *fake.keys}
    return World(copy.deepcopy(desired), values, fake, secrets)
