#!/usr/bin/env bash
# Interop suites: software we did not write checks what the provider produces. Run from anywhere:
# `bash interop/run.sh`. Needs node/npm and python3 with venv (`.ci/run` installs them when
# missing); installs the pinned packages (interop/node/package-lock.json,
# interop/python/requirements.txt, interop/rust/Cargo.lock) from the registries, then runs each
# suite, offline, on 127.0.0.1 with ports the OS chose. One block per suite below.
set -euo pipefail
cd "$(dirname "$0")/.."

# -- Install the pinned packages --------------------------------------------------------------
npm ci --prefix interop/node --no-audit --no-fund --loglevel=error
if [ ! -x interop/python/.venv/bin/python ]; then
    python3 -m venv interop/python/.venv
fi
interop/python/.venv/bin/pip install -q --disable-pip-version-check -r interop/python/requirements.txt
cargo fetch -q --locked --manifest-path interop/rust/Cargo.toml

# -- What the suites run against --------------------------------------------------------------
# One set of samples for the JWS cross-checks, so they judge the same tokens.
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
cargo run -q -p provider --example jws_samples >"$samples"
export JWS_SAMPLES=$samples
# The provider, API and client binaries, built once; the suites spawn them on free ports.
cargo build -q -p provider -p api -p client
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export PROVIDER_BIN="$target_dir/debug/provider"
export API_BIN="$target_dir/debug/api"
export CLIENT_BIN="$target_dir/debug/client"

# RFC 9068: JWT access tokens for the notes API, judged by oauth4webapi's
# validateJwtAccessToken (node/jwt-access-token.test.mjs) and joserfc
# (python/test_rfc9068.py); both suites below pick those files up.
access_token_samples=$(mktemp)
trap 'rm -f "$samples" "$access_token_samples"' EXIT
cargo run -q -p provider --example access_token_samples >"$access_token_samples"
export ACCESS_TOKEN_SAMPLES=$access_token_samples

# -- Node: panva's jose (JWS cross-check), openid-client 6.9.0 (a Relying Party), our API
# against panva's oidc-provider's JWT access tokens, our client against oidc-provider ---------
# `node --test` runs every interop/node/*.test.mjs.
echo "-- node: jose on the provider's JWS; openid-client against the provider; oidc-provider against our API and client"
node --test interop/node/

# -- Python: joserfc and Authlib (JWS cross-check), Authlib 1.9.9 (a Relying Party) -----------
echo "-- python: joserfc and Authlib on the provider's JWS; Authlib against the provider"
interop/python/.venv/bin/python -m unittest discover -s interop/python -v

# -- Rust: the openidconnect crate 4.1.0 (a Relying Party) ------------------------------------
# A cargo project of its own (interop/rust/Cargo.toml), its own lock file and target dir, so
# its dependencies stay out of the workspace's `cargo tree -d` and `cargo deny`. Its target dir:
# interop/rust/target, or INTEROP_RUST_TARGET_DIR.
echo "-- rust: openidconnect against the provider"
CARGO_TARGET_DIR="${INTEROP_RUST_TARGET_DIR:-interop/rust/target}" \
    cargo test -q --offline --locked --manifest-path interop/rust/Cargo.toml
