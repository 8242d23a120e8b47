#!/usr/bin/env bash
# Re-downloads the upstream schemas in schemas/ (see schemas/README.md) at the
# pinned versions below. Needs network access to raw.githubusercontent.com.
# Afterwards: (cd schemas && sha256sum kubernetes/* crds/* > SHA256SUMS), npm test.
set -euo pipefail
cd "$(dirname "$0")/../schemas"
raw=https://raw.githubusercontent.com

fetch() { # <url> <file>: one upstream file, unchanged
  curl -fsSL "$1" -o "$2.tmp" && mv "$2.tmp" "$2"
}
join() { # <file> <url>...: several upstream files joined with ---
  local out=$1; shift
  : > "$out.tmp"
  for url in "$@"; do
    [ -s "$out.tmp" ] && printf -- '---\n' >> "$out.tmp"
    curl -fsSL "$url" | sed '/^---$/d' >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

for v in 1.28.0 1.35.0; do
  fetch "$raw/cdk8s-team/cdk8s/master/kubernetes-schemas/v$v/_definitions.json" "kubernetes/k8s-v$v-definitions.json"
done
fetch "$raw/traefik/traefik/v3.7.9/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" crds/traefik-v3-crds.yaml
gw="$raw/kubernetes-sigs/gateway-api/v1.6.1/config/crd/standard"
join crds/gateway-api-v1.6.1-standard.yaml "$gw/gateway.networking.k8s.io_httproutes.yaml" \
  "$gw/gateway.networking.k8s.io_gateways.yaml" "$gw/gateway.networking.k8s.io_referencegrants.yaml"
fetch "$raw/nginx/kubernetes-ingress/v5.5.4/config/crd/bases/k8s.nginx.org_policies.yaml" crds/nginx-ingress-v5.5.4-policies.yaml
fetch "$raw/cert-manager/cert-manager/v1.21.1/deploy/crds/cert-manager.io_certificates.yaml" crds/cert-manager-v1.21.1-certificates.yaml
po="$raw/prometheus-operator/prometheus-operator/v0.93.0/example/prometheus-operator-crd"
fetch "$po/monitoring.coreos.com_servicemonitors.yaml" crds/prometheus-operator-v0.93.0-servicemonitors.yaml
fetch "$po/monitoring.coreos.com_prometheusrules.yaml" crds/prometheus-operator-v0.93.0-prometheusrules.yaml
fetch "$raw/cloudnative-pg/cloudnative-pg/v1.30.0/config/crd/bases/postgresql.cnpg.io_clusters.yaml" crds/cloudnative-pg-v1.30.0-clusters.yaml
fetch "$raw/argoproj/argo-cd/v3.5.1/manifests/crds/application-crd.yaml" crds/argo-cd-v3.5.1-application.yaml
fetch "$raw/argoproj/argo-cd/v3.5.1/manifests/crds/appproject-crd.yaml" crds/argo-cd-v3.5.1-appproject.yaml
eg="$raw/envoyproxy/gateway/v1.9.0/charts/gateway-helm/charts/crds/crds/generated"
fetch "$eg/gateway.envoyproxy.io_backendtrafficpolicies.yaml" crds/envoy-gateway-v1.9.0-backendtrafficpolicies.yaml
fetch "$eg/gateway.envoyproxy.io_clienttrafficpolicies.yaml" crds/envoy-gateway-v1.9.0-clienttrafficpolicies.yaml
fetch "$raw/external-secrets/external-secrets/v2.9.0/config/crds/bases/external-secrets.io_externalsecrets.yaml" crds/external-secrets-v2.9.0-externalsecrets.yaml
fetch "$raw/kedacore/keda/v2.20.2/config/crd/bases/keda.sh_scaledobjects.yaml" crds/keda-v2.20.2-scaledobjects.yaml
echo "refreshed; now: (cd schemas && sha256sum kubernetes/* crds/* > SHA256SUMS) && npm test"
