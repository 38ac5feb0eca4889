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

# RFC 9068: JWT access tokens for the notes API, judged by oauth4webapi's
# validateJwtAccessToken (node/jwt-access-token.test.mjs) and joserfc
# (python/test_rfc9068.py); both suites below pick those files up.
access_token_samples=$(mktemp)
trap 'rm -f "$samples" "$access_token_samples"' EXIT
cargo run -q -p provider --example access_token_samples >"$access_token_samples"
export ACCESS_TOKEN_SAMPLES=$access_token_samples

echo "-- panva's jose (node) on the provider's JWS"
node --test interop/node/
echo "-- joserfc and Authlib (python) on the provider's JWS"
interop/python/.venv/bin/python -m unittest discover -s interop/python -v
