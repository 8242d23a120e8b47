#!/usr/bin/env bash
# Measures the resident memory of the proxy's processes, the basis of the
# memory rule in lib/proxy/workers.ts. Uses the e2e venv (run
# scripts/e2e-install.sh first) and the e2e fake provider; loopback only.
#   scripts/measure-proxy-memory.sh --num_workers 1
#   scripts/measure-proxy-memory.sh --num_workers 2 --run_gunicorn
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'pkill -f "litellm --port 18912" || true; pkill -f "fake_provider.py 18911" || true; rm -rf "$work"' EXIT
cat > "$work/config.yaml" <<YAML
model_list:
  - model_name: m
    litellm_params: { model: openai/fake-chat, api_base: "http://127.0.0.1:18911/v1", api_key: x }
litellm_settings: { request_timeout: 600, json_logs: true }
general_settings: { master_key: sk-memory-measurement }
YAML
python3 "$root/test/e2e/fake_provider.py" 18911 > "$work/fake.log" 2>&1 &
LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_MODE=PRODUCTION LITELLM_LOG=ERROR TMPDIR="$work" \
  "$root/.e2e/venv/bin/litellm" --port 18912 --config "$work/config.yaml" --host 127.0.0.1 "$@" > "$work/proxy.log" 2>&1 &
for _ in $(seq 1 120); do curl -sf -o /dev/null 127.0.0.1:18912/health/liveliness && break; sleep 1; done
sleep 3
rss() { local pid; pid=$(pgrep -f "litellm --port 18912" | head -1); ps -o pid=,rss= --ppid "$pid" -p "$pid" | awk '{printf "  pid %s: %d MB\n", $1, $2/1024}'; }
echo "idle:"; rss
for i in $(seq 1 200); do
  curl -sf -o /dev/null -X POST 127.0.0.1:18912/v1/chat/completions -H 'Authorization: Bearer sk-memory-measurement' \
    -H 'Content-Type: application/json' -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello $i\"}]}"
done
echo "after 200 completions:"; rss
