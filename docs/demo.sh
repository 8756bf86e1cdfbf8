#!/usr/bin/env bash
# make demo: the tool's main job end to end against the bundled emulator, with no account anywhere.
#   emulator -> listener -> validate -> apply -> list -> edit + diff -> apply again -> events arrive, verified.
set -euo pipefail
cd "$(dirname "$0")/.."

CE="${CE:-.venv/bin/cloudevents}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Bold step titles on a terminal only: a log or a pipe gets plain text (the CLI decides the same way).
bold='' plain=''
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@"; }
wait_for() {  # wait_for FILE: the ready file a server writes once it accepts connections
  for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo: $1 never appeared" >&2; exit 1
}

# The sample definitions take their secrets from the environment: demo values.
# shellcheck source=/dev/null
source sample-configs/demo.env

step "Start the bundled emulator (an emulator minute lasts 1 s here, so polling is quick)"
"$CE" emulator --port 0 --minute 1 --ready-file "$work/emulator.url" 2>"$work/emulator.log" &
pids+=($!)
wait_for "$work/emulator.url"
export CE_BASE_URL CE_USER_SECRET=emulator-user CE_ORG_SECRET=emulator-org
CE_BASE_URL="$(cat "$work/emulator.url")"
echo "emulator at $CE_BASE_URL"

step "Start a callback listener that verifies signatures with \$CE_SIGNATURE_KEY"
"$CE" --color never listen --port 0 --ready-file "$work/listen.url" -o json >"$work/events.jsonl" 2>"$work/listen.log" &
pids+=($!)
wait_for "$work/listen.url"
callback="$(cat "$work/listen.url")"
echo "listener at $callback"

step "Validate every definition offline"
show "$CE" validate sample-configs/

step "Apply them all, with events sent to the listener"
show "$CE" apply sample-configs/ --callback-url "$callback"

step "What is on the platform now"
show "$CE" list

step "Edit one definition: a shorter refresh interval and one more tag, then diff"
sed -e 's/refresh_interval: 5/refresh_interval: 2/' -e 's/tags: \[acme, crm, polling\]/tags: [acme, crm, polling, demo]/' \
  sample-configs/hubspot-polling.yaml >"$work/hubspot-polling.yaml"
set +e
show "$CE" diff "$work/hubspot-polling.yaml" --callback-url "$callback"
echo "(diff exits $? when something differs)"
set -e

step "Apply the edit (one PATCH), then the original files again (only that instance changes back)"
show "$CE" apply "$work/hubspot-polling.yaml" --callback-url "$callback"
echo "\$ $CE -o json apply sample-configs/ --callback-url $callback | jq .summary"
"$CE" -o json apply sample-configs/ --callback-url "$callback" | python3 -c \
  'import json, sys; print("summary:", json.load(sys.stdin)["summary"])'

step "Trigger webhook events for the Zendesk instance"
zendesk_id="$("$CE" -o id list --name acme-zendesk-webhooks)"
show "$CE" trigger "$zendesk_id" --object-type tickets --event-type UPDATED --count 3

step "Events arriving at the listener (webhooks now, polling every emulator minute)"
sleep 3
python3 - "$work/events.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
seen = {}
for r in rows:
    key = (r.get("instance_id"), r.get("element_key"), r.get("object_type"), r.get("event_type"), r.get("signature"))
    seen[key] = seen.get(key, 0) + 1
print(f"{'instance':>8}  {'element':12} {'object':10} {'event':8} {'signature':9} count")
for (instance, element, obj, event, sig), n in sorted(seen.items(), key=lambda kv: str(kv[0])):
    print(f"{instance!s:>8}  {element or '':12} {obj or '':10} {event or '':8} {sig or '':9} {n}")
verified = sum(1 for r in rows if r.get("signature") == "ok")
print(f"{len(rows)} events received, {verified} with a valid signature")
PY

# --- oauth ---
step "OAuth2 in one command: authorize against the emulator's consent page (--no-browser prints the URL)"
oauth_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$work/box-oauth.yaml" <<YAML
name: acme-box-oauth
element: box
tags: [acme, oauth]
configuration:
  oauth.api.key: acme-box-app
  oauth.api.secret: \${env:BOX_OAUTH_SECRET}
  oauth.callback.url: http://127.0.0.1:$oauth_port/callback   # loopback: authorize listens there itself
events:
  type: webhooks
  callback_url: $callback
  signature_key: \${env:CE_SIGNATURE_KEY}
YAML
export BOX_OAUTH_SECRET=demo-box-oauth-secret
echo "\$ $CE authorize $work/box-oauth.yaml --no-browser"
"$CE" authorize "$work/box-oauth.yaml" --no-browser >"$work/authorize.out" 2>"$work/authorize.err" &
authorize_pid=$!
pids+=("$authorize_pid")
for _ in $(seq 1 200); do grep -q '^http' "$work/authorize.err" 2>/dev/null && break; sleep 0.1; done
consent_url="$(grep -m1 '^http' "$work/authorize.err")"
echo "the demo plays the user: it opens $consent_url"
python3 -c 'import sys, urllib.request; print("the browser shows:", urllib.request.urlopen(sys.argv[1]).read().decode().strip())' \
  "$consent_url"
wait "$authorize_pid"
cat "$work/authorize.err" "$work/authorize.out"
show "$CE" get acme-box-oauth

# --- operating events ---
# Day two: a receiver that refuses, `status` pointing at it, the receiver fixed, the queued deliveries released
# and every event arriving once. Its own emulator: an account whose failure policy queues deliveries once the
# retries run out (SAP Open Connectors' 5 retries; an emulator minute of 1 ms, so they take well under a second).
step "Operating events: an emulator whose account queues deliveries when retries run out"
"$CE" emulator --port 0 --minute 0.001 --flavour open-connectors --failure-policy queue \
  --ready-file "$work/ops.url" 2>"$work/ops.log" &
pids+=($!)
wait_for "$work/ops.url"
ops=(--base-url "$(cat "$work/ops.url")")
echo "emulator at $(cat "$work/ops.url")"

step "A receiver that refuses every callback (it was given the wrong signature key: 401)"
"$CE" --color never listen --port 0 --signature-key wrong-key-0123456789abcdef \
  --ready-file "$work/refusing.url" >/dev/null 2>"$work/refusing.log" &
refusing=$!
pids+=($refusing)
wait_for "$work/refusing.url"
receiver="$(cat "$work/refusing.url")"
port="${receiver##*:}" port="${port%%/*}"
show "$CE" "${ops[@]}" apply sample-configs/zendesk-webhooks.yaml --callback-url "$receiver"
ops_id="$("$CE" "${ops[@]}" -o id list --name acme-zendesk-webhooks)"
set +e
show "$CE" "${ops[@]}" trigger "$ops_id" --object-type tickets --count 25 --wait
echo "(trigger --wait exits $?: the deliveries ended queued)"

step "status points at the instance (exit 1: it needs attention)"
show "$CE" "${ops[@]}" status --all
echo "(status exits $?)"
set -e
show "$CE" "${ops[@]}" deliveries --callback-url "$receiver"

step "Fix the receiver (same port, the right key, --dedupe) and release the queued deliveries"
kill "$refusing" && wait "$refusing" 2>/dev/null || true
"$CE" --color never listen --port "$port" --dedupe -o json \
  --ready-file "$work/fixed.url" >"$work/released.jsonl" 2>"$work/fixed.log" &
pids+=($!)
wait_for "$work/fixed.url"
show "$CE" "${ops[@]}" deliveries --release --callback-url "$receiver"
for _ in $(seq 1 100); do [ "$(wc -l <"$work/released.jsonl")" -ge 25 ] && break; sleep 0.1; done

step "Replay one of them: resent as the platform signs it, and listen --dedupe handles its eventId only once"
first="$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["event_id"])' "$work/released.jsonl")"
show "$CE" "${ops[@]}" events resend "$first"
sleep 0.2
grep "duplicate event" "$work/fixed.log" || { echo "demo: the listener did not see the resent event" >&2; exit 1; }

step "The events arrive, each once"
python3 - "$work/released.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
per_event = collections.Counter(r["event_id"] for r in rows)
ok = sum(1 for r in rows if r.get("signature") == "ok")
print(f"{len(rows)} events in {len(per_event)} deliveries ({', '.join(map(str, per_event.values()))} events each), "
      f"{ok} with a valid signature")
if len(rows) != 25 or ok != 25:
    sys.exit("demo: the released events did not all arrive")
PY
show "$CE" "${ops[@]}" status --all

step "Done: the emulator and the listener stop now"
