# oauth-flow-rs: every command a user or a teacher needs. `just` alone lists them.
# Install just with `cargo install just` (about 1.5 min) or `pip install rust-just` (seconds).

# List the recipes
default:
    @just --list --unsorted

# Run provider (:8080), notes API (:8082) and client (:3000) in one terminal, logs prefixed; Ctrl-C stops all (exit 0). Same as `cargo run`
dev:
    cargo run

# Two providers (:8080, :8081) sharing one Redis (started on :6379 unless one answers there) and the client; logs prefixed
dev-redis:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build -p provider -p client
    pids=()
    trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' INT TERM EXIT
    if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
        command -v redis-server >/dev/null 2>&1 \
            || { echo "dev-redis | redis-server is missing: apt-get install redis-server" >&2; exit 1; }
        # No persistence for a dev run: nothing written to disk, everything gone when it stops.
        redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
            > >(trap '' INT; exec sed -u 's/^/redis | /') 2>&1 &
        pids+=($!)
        until redis-cli -p 6379 ping >/dev/null 2>&1; do sleep 0.1; done
    fi
    # Both instances share the store, the cookie key and the issuer: one provider to the client.
    export STORE=redis://127.0.0.1:6379
    export SESSION_KEY=${SESSION_KEY:-$(od -An -tx1 -N64 /dev/urandom | tr -d ' \n')}
    export ISSUER=${ISSUER:-http://localhost:8080}
    PROVIDER_BIND=127.0.0.1:8080 ./target/debug/provider > >(trap '' INT; exec sed -u 's/^/provider-a | /') 2>&1 &
    pids+=($!)
    PROVIDER_BIND=127.0.0.1:8081 ./target/debug/provider > >(trap '' INT; exec sed -u 's/^/provider-b | /') 2>&1 &
    pids+=($!)
    ./target/debug/client > >(trap '' INT; exec sed -u 's/^/client | /') 2>&1 &
    pids+=($!)
    echo "dev-redis | open http://localhost:3000; on the provider's pages, change :8080 to :8081 and carry on (Ctrl-C stops all)"
    # When any one stops (a bad setting, a port in use), stop the others too.
    status=0
    wait -n "${pids[@]}" || status=$?
    exit "$status"

# Run the provider alone on http://localhost:8080
provider:
    cargo run -p provider

# Run the client alone on http://localhost:3000 (needs the provider)
client:
    cargo run -p client

# Run the whole test suite (no browser needed)
test:
    cargo test --workspace

# Walk the flow in headless Chromium (apt-get install chromium chromium-driver); screenshots go to docs/screenshots/tmp (untracked)
e2e:
    cargo test -p e2e --features browser -- --test-threads=1 --nocapture

# Benchmark the provider against a hello-world actix server (release build, needs wrk; Redis rows when redis-server is installed); `just bench --memory` adds the million-token run, `just bench --help` lists the options
bench *ARGS:
    cargo run --release -p bench -- {{ARGS}}

# Regenerate the README's docs/screenshots/*.png from the real-browser test
screenshots:
    SAVE_SCREENSHOTS=1 cargo test -p e2e --features browser -- --test-threads=1 --nocapture
    @ls -1 docs/screenshots/*.png

# Format all code
fmt:
    cargo fmt --all

# Check formatting and lints as CI does
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p e2e --all-targets --features browser -- -D warnings
