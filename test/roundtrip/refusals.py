"""The Python side of the error-parity check (scripts/python-roundtrip.sh).

Builds the same refused inputs as refusals.ts and checks that each raises in
Python with exactly the message TypeScript gives (the stack path, the prop, the
value, masked where it is a credential, and what to do). The TypeScript
messages arrive as JSON lines on stdin.
"""
import json
import sys

import cdk8s
from cdk8s_litellm import (
    Edge, ExternalRedisProps, FallbackTrigger, FleetDatabaseOptions, FleetTenant, GovernanceReconcilerOptions, KeyDeclaration,
    LiteLLMFleet, LiteLLMStack, ModelDeployment, ModelFallback, PostgresServerOptions, Presets, RouterOptions, SecretKeyRef, StackRedisOptions,
)


def secret(name, key):
    return SecretKeyRef(name=name, key=key)


models = [ModelDeployment(name="gpt-4o", model="openai/gpt-4o", api_key=secret("provider-keys", "openai"))]
master_key = secret("litellm-master", "master-key")
redis = StackRedisOptions(password=secret("redis", "password"))


def fleet():
    app = cdk8s.App()
    LiteLLMFleet(
        app, "fleet", preset=Presets.edge(), models=models, master_key=master_key, redis=redis,
        database=FleetDatabaseOptions(server_options=PostgresServerOptions(name="pg", host="pg.example.com", max_connections=100)),
        tenants=[
            FleetTenant(name="team-a"),
            FleetTenant(name="team-b", access=GovernanceReconcilerOptions(keys=[KeyDeclaration(alias="ci", value=secret("keys", "ci"), models=["GPT-4o"])])),
        ],
    )
    return app.synth_yaml()


attempts = [
    lambda: LiteLLMStack(cdk8s.App(), "gateway", namespace="Team_A.", models=models, master_key=master_key, redis=redis),
    lambda: LiteLLMStack(
        cdk8s.App(), "gateway", namespace="llm", models=models, master_key=master_key,
        redis=StackRedisOptions(external=ExternalRedisProps(host="rediss://default:S3cr3t@cache.example.com:6380", password=secret("redis", "password"))),
    ),
    fleet,
    lambda: LiteLLMStack(cdk8s.App(), "gateway", namespace="llm", models=models, master_key=master_key, redis=redis, edge=Edge.traefik(), hosts=["llm.example.com"]),
    lambda: LiteLLMStack(
        cdk8s.App(), "gateway", namespace="llm", models=models, master_key=master_key, redis=redis,
        router=RouterOptions(fallbacks=[ModelFallback(model="gpt-4o", to=["gpt-4o-mini"], on=FallbackTrigger.CONTEXT_WINDOW)]),
    ),
]

expected = [json.loads(line) for line in sys.stdin.read().splitlines() if line.strip()]
assert len(expected) == len(attempts), f"{len(expected)} TypeScript messages for {len(attempts)} attempts"
failures = 0
for want, attempt in zip(expected, attempts):
    try:
        attempt()
        got = None
    except Exception as e:  # jsii raises the JavaScript error's message as a RuntimeError
        got = str(e)
    if want is None or got != want:
        failures += 1
        print(f"MISMATCH\n  TypeScript: {want}\n  Python:     {got}")
    else:
        print(f"same message in Python: {got}")
assert "S3cr3t" not in "".join(str(m) for m in expected)
sys.exit(1 if failures else 0)
