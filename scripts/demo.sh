#!/usr/bin/env bash
# The whole loop on a laptop: keys → devnet → attest → collect → publish → verify (with
# build provenance and a tamper check).
# Run through `make demo`; everything it writes goes to demo-out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

ANCHOR="${ANCHOR:-.venv/bin/anchor}"
PY="${PY:-.venv/bin/python}"
OUT="${DEMO_OUT:-demo-out}"
RELEASE=fixtures/sample-release

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run()  { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$OUT" && mkdir -p "$OUT"

step "1. Create an identity seed (record signing) and a payment key"
run "$ANCHOR" keys new -o "$OUT/keys"
ADDR=$("$ANCHOR" keys show "$OUT/keys" --network devnet --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["payment_address"])')
echo "payment address: $ADDR"

step "2. Start a local devnet (Blockfrost API on 127.0.0.1) and fund the address with 100 ADA"
"$ANCHOR" devnet --port 0 --block-time 0.2 --fund "$ADDR=100" >"$OUT/devnet.url" 2>"$OUT/devnet.log" &
DEVNET_PID=$!
trap 'kill "$DEVNET_PID" 2>/dev/null || true; wait "$DEVNET_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$OUT/devnet.url" ] && break
  kill -0 "$DEVNET_PID" 2>/dev/null || { cat "$OUT/devnet.log"; exit 5; }
  sleep 0.1
done
URL=$(head -n 1 "$OUT/devnet.url")
echo "devnet: $URL"

step "3. Build provenance: attest the release tarball with the CI's OIDC identity"
# A local OIDC issuer on 127.0.0.1 plays GitHub Actions' token service; the job's
# environment (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, GITHUB_*) goes only to the attest step.
"$PY" -m anchor.devnet.oidc --port 0 --env-file "$OUT/oidc.env" >"$OUT/oidc.log" 2>&1 &
OIDC_PID=$!
trap 'kill "$DEVNET_PID" "$OIDC_PID" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$OUT/oidc.env" ] && break
  kill -0 "$OIDC_PID" 2>/dev/null || { cat "$OUT/oidc.log"; exit 5; }
  sleep 0.1
done
ISSUER=$(sed -n 's/^export ANCHOR_OIDC_ISSUER=//p' "$OUT/oidc.env" | tr -d "'")
echo "oidc issuer: $ISSUER"
cp -R "$RELEASE" "$OUT/release" && mkdir -p "$OUT/release/attestations/build"
RELEASE="$OUT/release"
(
  # shellcheck disable=SC1091
  . "$OUT/oidc.env"
  run "$ANCHOR" attest --subject-path "$RELEASE/dist/evidence-demo-1.0.0.tar.gz" \
      -o "$RELEASE/attestations/build"
)
run "$ANCHOR" trust-root fetch "$ISSUER" -o "$OUT/trust-root.json"
run "$ANCHOR" verify-attestation "$RELEASE/dist/evidence-demo-1.0.0.tar.gz" \
    --bundle "$RELEASE/attestations/build/evidence-demo-1.0.0.tar.gz.sigstore.json" \
    --trust-root "$OUT/trust-root.json"

step "4. Collect the release's evidence (the new attestation included) into a bundle"
run "$ANCHOR" collect "$RELEASE" --root "$RELEASE" -o "$OUT/evidence" \
    --name evidence-demo --version 1.0.0 --repository https://example.org/evidence-demo \
    --commit 0123456789abcdef0123456789abcdef01234567 --ref refs/tags/v1.0.0
run ls "$OUT/evidence" "$OUT/evidence/proofs"

step "5. Publish the signed Label 309 record and wait for 5 confirmations"
run "$ANCHOR" publish "$OUT/evidence" --network devnet --provider-url "$URL" \
    --identity-seed "$OUT/keys/identity.seed" --payment-key "$OUT/keys/payment.skey" \
    --confirmations 5
SIGNER=$("$ANCHOR" keys show "$OUT/keys" --network devnet --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["identity_public_key"])')

step "6. Verify every file offline from the bundle, the signer pinned, provenance at the block time"
mapfile -t FILES < <(find "$RELEASE" -type f -not -path '*/.*' | LC_ALL=C sort)
run "$ANCHOR" verify "${FILES[@]}" --bundle "$OUT/evidence" --network devnet --min-confirmations 5 \
    --signer "$SIGNER" --trust-root "$OUT/trust-root.json" --report "$OUT/report.json"

step "7. Cross-check online against the devnet (raw transaction CBOR, fresh depth)"
TX=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tx_hash"])' "$OUT/evidence/anchor.json")
run "$ANCHOR" verify "$RELEASE/dist/evidence-demo-1.0.0.tar.gz" --bundle "$OUT/evidence" \
    --online --tx-hash "$TX" --network devnet --provider blockfrost --provider-url "$URL" --min-confirmations 5

step "8. A tampered copy of the artifact must fail (exit 1)"
mkdir -p "$OUT/tampered"
cp "$RELEASE/dist/evidence-demo-1.0.0.tar.gz" "$OUT/tampered/"
printf 'x' | dd of="$OUT/tampered/evidence-demo-1.0.0.tar.gz" bs=1 seek=10 conv=notrunc status=none
set +e
"$ANCHOR" verify "$OUT/tampered/evidence-demo-1.0.0.tar.gz" --bundle "$OUT/evidence" --min-confirmations 5
CODE=$?
set -e
echo "exit code: $CODE (1 = failed, as expected)"
[ "$CODE" -eq 1 ]

step "Done. The report an auditor keeps: $OUT/report.json"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); p=[f["provenance"] for f in r["files"]]; print("verdict:", r["verdict"], "| block_time:", r.get("block_time"), "| files:", len(p), "| attestations verified:", sum(a["verdict"] == "verified" for a in r["attestations"]), "| tx:", r.get("tx_hash"))' "$OUT/report.json"
