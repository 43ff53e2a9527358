#!/usr/bin/env bash
# Cadence publishing on a laptop: three adders, two windows on the devnet, one proof from each.
# Run through `make demo-spool`; everything it writes goes to demo-spool-out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

ANCHOR="${ANCHOR:-.venv/bin/anchor}"
PY="${PY:-.venv/bin/python}"
OUT=demo-spool-out
export ANCHOR_SPOOL_DB="sqlite:$OUT/spool.db"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run()  { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$OUT" && mkdir -p "$OUT/files"

step "1. Keys and a funded local devnet"
run "$ANCHOR" keys new -o "$OUT/keys"
ADDR=$("$ANCHOR" keys show "$OUT/keys" --network devnet --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["payment_address"])')
"$ANCHOR" devnet --port 0 --block-time 0.2 --fund "$ADDR=100" >"$OUT/devnet.url" 2>"$OUT/devnet.log" &
DEVNET_PID=$!
trap 'kill "$DEVNET_PID" 2>/dev/null || true; wait "$DEVNET_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$OUT/devnet.url" ] && break
  kill -0 "$DEVNET_PID" 2>/dev/null || { cat "$OUT/devnet.log"; exit 5; }
  sleep 0.1
done
URL=$(head -n 1 "$OUT/devnet.url")
KEYS=(--provider-url "$URL" --identity-seed "$OUT/keys/identity.seed" --payment-key "$OUT/keys/payment.skey")
echo "devnet: $URL"

step "2. Create the spool"
run "$ANCHOR" spool init --network devnet

adders() {  # three CI jobs adding files at the same time
  local window=$1 pids=()
  for job in 1 2 3; do
    (
      for i in 1 2; do
        f="$OUT/files/w$window-job$job-$i.txt"
        printf 'window %s job %s file %s\n' "$window" "$job" "$i" >"$f"
        "$ANCHOR" spool add "$f" --source "ci.example/app/run/$job" --json >>"$OUT/added-w$window.jsonl"
      done
    ) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

step "3. Window 1: three adders, then seal and publish"
adders 1
run "$ANCHOR" spool seal --label w1
run "$ANCHOR" spool publish --every release --wait "${KEYS[@]}"

step "4. Window 2: three adders again, then seal and publish"
adders 2
run "$ANCHOR" spool seal --label w2
run "$ANCHOR" spool publish --every release --wait "${KEYS[@]}"
run "$ANCHOR" spool status

step "5. Export each window and verify one item from each with anchor verify (offline)"
for w in 1 2; do
  run "$ANCHOR" spool export "$w" -o "$OUT/export-$w"
  ID=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["item_id"])' "$OUT/added-w$w.jsonl")
  run "$ANCHOR" spool proof "$ID"
  run "$ANCHOR" verify "$OUT/files/w$w-job1-1.txt" --bundle "$OUT/export-$w"
done
echo
echo "demo-spool: 2 windows, 2 transactions, 12 items; one item of each window verified"
