#!/usr/bin/env bash
# Interop suites: software we did not write checks what the provider produces. Run from anywhere:
# `bash interop/run.sh`. Needs node/npm and python3 with venv (`.ci/run` installs them when
# missing); installs the pinned packages (interop/node/package-lock.json,
# interop/python/requirements.txt) from the registries, then runs each suite.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --prefix interop/node --no-audit --no-fund --loglevel=error
if [ ! -x interop/python/.venv/bin/python ]; then
    python3 -m venv interop/python/.venv
fi
interop/python/.venv/bin/pip install -q --disable-pip-version-check -r interop/python/requirements.txt

# One set of samples for both suites, so they judge the same tokens.
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
cargo run -q -p provider --example jws_samples >"$samples"
export JWS_SAMPLES=$samples
# Our client against panva's oidc-provider (interop/node/client-vs-oidc-provider.test.mjs).
cargo build -q -p client
CLIENT_BIN="${CARGO_TARGET_DIR:-target}/debug/client"
CLIENT_BIN=$(cd "$(dirname "$CLIENT_BIN")" && pwd)/client
export CLIENT_BIN

echo "-- panva's jose (node) on the provider's JWS; our client against panva's oidc-provider"
node --test interop/node/
echo "-- joserfc and Authlib (python) on the provider's JWS"
interop/python/.venv/bin/python -m unittest discover -s interop/python -v
