#!/usr/bin/env python3
"""Validates recorded admin-API request bodies against the pinned release's own
request models (litellm.proxy._types, from the PyPI wheel).

Usage: python validate_requests.py TRACE.jsonl
TRACE.jsonl: one {"method", "path", "body"} per line (the reconciler writes it
when LITELLM_ACCESS_TRACE_FILE is set). For every POST it checks that
Model.model_validate(body) succeeds AND that every field sent is a declared
field of the model: the models ignore unknown fields silently, so a misspelt
field would otherwise pass and do nothing. Prints a JSON report; exits 1 on
any problem.
"""
import json
import sys

from litellm.proxy import _types as t

MODELS = {
    "/budget/new": t.BudgetNewRequest,
    "/budget/update": t.BudgetNewRequest,
    "/budget/delete": t.BudgetDeleteRequest,
    "/team/new": t.NewTeamRequest,
    "/team/update": t.UpdateTeamRequest,
    "/team/delete": t.DeleteTeamRequest,
    "/team/member_add": t.TeamMemberAddRequest,
    "/team/member_delete": t.TeamMemberDeleteRequest,
    "/user/new": t.NewUserRequest,
    "/user/update": t.UpdateUserRequest,
    "/user/delete": t.DeleteUserRequest,
    "/key/generate": t.GenerateKeyRequest,
    "/key/update": t.UpdateKeyRequest,
    "/key/delete": t.KeyRequest,
}
# Nested request objects whose fields are checked too.
NESTED = {("/team/member_add", "member"): t.Member}


def unknown_fields(model, body, path):
    extra = [f for f in body if f not in model.model_fields]
    for (p, field), nested in NESTED.items():
        if p == path and isinstance(body.get(field), dict):
            extra += [f"{field}.{f}" for f in unknown_fields(nested, body[field], None)]
    return extra


def main():
    problems, counts = [], {}
    for n, line in enumerate(open(sys.argv[1]), 1):
        rec = json.loads(line)
        if rec["method"] != "POST":
            continue
        model = MODELS.get(rec["path"])
        if model is None:
            problems.append(f"line {n}: POST {rec['path']} has no request model in this check")
            continue
        counts[rec["path"]] = counts.get(rec["path"], 0) + 1
        try:
            model.model_validate(rec["body"])
        except Exception as e:  # pydantic.ValidationError
            problems.append(f"line {n}: POST {rec['path']}: {model.__name__} rejects the body: {e}")
        extra = unknown_fields(model, rec["body"], rec["path"])
        if extra:
            problems.append(f"line {n}: POST {rec['path']}: fields {extra} are not fields of {model.__name__} (silently ignored)")
    print(json.dumps({"validated": counts, "models": {p: m.__name__ for p, m in MODELS.items() if p in counts}, "problems": problems}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
