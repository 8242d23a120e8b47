"""The example app (main.ts) in Python: the same stacks, the same output.

CI runs it against the committed dist/ (scripts/python-roundtrip.sh): every
file must come out byte for byte as the TypeScript app writes it.

    pip install cdk8s-litellm   # with cdk8s, cdk8s-plus-28 and constructs
    CDK8S_OUTDIR=dist python main.py
"""
from cdk8s_litellm import (
    ApplicationOverrides,
    BudgetDeclaration,
    DefaultKeyGenerateParams,
    Edge,
    EdgeTls,
    ExternalRedisProps,
    FleetDashboardOptions,
    ExternalSecretsOptions,
    FleetDatabaseOptions,
    FleetTenant,
    FleetTenantDatabase,
    GatewayImplementation,
    GatewayRef,
    GitOpsApp,
    GitOpsArgoCdOptions,
    GovernanceReconcilerOptions,
    GovernanceSettings,
    KeyDeclaration,
    KeyGenerateParams,
    LiteLLMFleet,
    LiteLLMProxyOptions,
    LiteLLMStack,
    ModelDeployment,
    NamespaceQuotaOptions,
    NetworkPeer,
    PostgresServerOptions,
    Presets,
    ProxyAutoscaling,
    ProxyCache,
    SecretKeyRef,
    SecretStoreKind,
    SecretStoreRef,
    StackDatabaseOptions,
    StackRedisOptions,
    TeamDeclaration,
    CloudNativePgDatabaseProps,
    ExternalPostgresProps,
)

# One folder per stack (named by its namespace), one file per object, an Argo CD
# Application and AppProject per stack folder in dist/argocd-applications/, and the root
# Application that syncs them in dist/argocd-bootstrap/.
app = GitOpsApp(argo_cd=GitOpsArgoCdOptions(repo_url="https://git.example.com/platform/llm-gateway.git", path="dist"))

# Secrets are referenced, never created (see the README, "Secrets: what each stack reads").
models = [
    ModelDeployment(name="gpt-4o", model="openai/gpt-4o", api_key=SecretKeyRef(name="llm-provider-keys", key="openai"), rpm=600, tpm=200000),
    ModelDeployment(name="claude-sonnet", model="anthropic/claude-sonnet-4-5", api_key=SecretKeyRef(name="llm-provider-keys", key="anthropic"), rpm=300),
]
master_key = SecretKeyRef(name="litellm-master-key", key="master-key")
salt_key = SecretKeyRef(name="litellm-salt-key", key="salt-key")
redis = StackRedisOptions(password=SecretKeyRef(name="litellm-redis", key="password"))
common = dict(models=models, master_key=master_key, salt_key=salt_key, redis=redis)
tls = EdgeTls(cluster_issuer="letsencrypt-prod")

# One box (OrbStack on a Mac mini): one replica, workers from CPU, LoadBalancer, no TLS.
LiteLLMStack(app, "litellm-edge", namespace="litellm-edge", preset=Presets.edge(), **common)

# Production behind ingress-nginx, with a CloudNativePG database, governance and the response cache.
LiteLLMStack(
    app, "litellm-production",
    namespace="litellm",
    preset=Presets.production(),
    cache=ProxyCache(ttl_seconds=600),
    edge=Edge.ingress_nginx(tls=tls, allow_source_ranges=["203.0.113.0/24"], max_request_body_size="20m"),
    hosts=["llm.example.com"],
    database=StackDatabaseOptions(cloud_native_pg=CloudNativePgDatabaseProps(storage_size="20Gi")),
    proxy=LiteLLMProxyOptions(max_in_flight_requests_per_worker=200),
    governance=GovernanceSettings(
        default_key_params=DefaultKeyGenerateParams(rpm_limit=60, tpm_limit=100000, max_budget=50, budget_duration="30d"),
        key_param_limits=KeyGenerateParams(rpm_limit=600, tpm_limit=1000000, max_budget=500, budget_duration="30d"),
    ),
    access=GovernanceReconcilerOptions(
        teams=[
            TeamDeclaration(id="analytics", alias="Analytics", models=["gpt-4o", "claude-sonnet"], max_budget=400, budget_duration="30d", rpm_limit=300),
            TeamDeclaration(id="support-bot", alias="Support bot", models=["claude-sonnet"], max_budget=200, budget_duration="30d"),
        ],
        budgets=[BudgetDeclaration(id="ci", max_budget=20, budget_duration="7d", rpm_limit=60)],
        keys=[
            KeyDeclaration(alias="analytics-ci", value=SecretKeyRef(name="litellm-virtual-keys", key="analytics-ci"), team="analytics", budget="ci"),
            KeyDeclaration(alias="support-bot-prod", value=SecretKeyRef(name="litellm-virtual-keys", key="support-bot-prod"), team="support-bot", rpm_limit=120),
        ],
    ),
    **common,
)

# The same gateway behind the other ingress controllers.
LiteLLMStack(
    app, "litellm-nginx-inc",
    namespace="litellm-nginx-inc",
    edge=Edge.nginx_inc(tls=tls, allow_source_ranges=["203.0.113.0/24"]),
    hosts=["llm-nginx-inc.example.com"],
    database=StackDatabaseOptions(external=ExternalPostgresProps(url=SecretKeyRef(name="litellm-database", key="url"), max_connections=200)),
    # Its Secrets come from the platform's Vault through the External Secrets Operator.
    external_secrets=ExternalSecretsOptions(
        store_ref=SecretStoreRef(name="platform-vault", kind=SecretStoreKind.CLUSTER_SECRET_STORE), remote_key_prefix="llm/nginx-inc/"),
    **common,
)
LiteLLMStack(
    app, "litellm-traefik",
    namespace="litellm-traefik",
    edge=Edge.traefik(tls=tls, allow_source_ranges=["203.0.113.0/24"]),
    hosts=["llm-traefik.example.com"],
    **common,
)

# A platform team's fleet: three tenant gateways on shared parts.
LiteLLMFleet(
    app, "tenants",
    namespace_prefix="llm-",
    preset=Presets.production(),
    models=models,
    master_key=master_key,
    salt_key=salt_key,
    redis=StackRedisOptions(external=ExternalRedisProps(
        host="redis.platform.example.com", password=SecretKeyRef(name="litellm-redis", key="password"), cidr="10.20.1.0/24")),
    database=FleetDatabaseOptions(server_options=PostgresServerOptions(
        name="platform-pg", host="pg.platform.example.com", max_connections=180, peers=[NetworkPeer(cidr="10.20.2.0/24")])),
    edge=Edge.gateway_api(
        gateway=GatewayRef(name="public", namespace="gateways", section_name="https", http_section_name="http"),
        redirect_http_to_https=True,
        controller_namespace="envoy-gateway-system",
        # Envoy Gateway: a BackendTrafficPolicy per tenant route (stream idle timeout from the timing bound).
        implementation=GatewayImplementation.ENVOY_GATEWAY,
    ),
    domain="llm.example.com",
    governance=GovernanceSettings(default_key_params=DefaultKeyGenerateParams(rpm_limit=60, max_budget=20, budget_duration="30d")),
    quota=NamespaceQuotaOptions(),
    fleet_dashboard=FleetDashboardOptions(),
    tenants=[
        FleetTenant(name="team-a"),
        FleetTenant(
            name="team-b",
            models=[ModelDeployment(name="claude-sonnet", model="anthropic/claude-sonnet-4-5", api_key=SecretKeyRef(name="llm-provider-keys", key="anthropic"), rpm=600)],
            proxy=LiteLLMProxyOptions(max_in_flight_requests_per_worker=100),
            argo_cd=ApplicationOverrides(project="team-b"),
        ),
        FleetTenant(name="team-c", proxy=LiteLLMProxyOptions(autoscaling=ProxyAutoscaling(min_replicas=2, max_replicas=10)), database=FleetTenantDatabase(max_connections=80)),
    ],
)

app.synth()
