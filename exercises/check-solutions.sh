#!/usr/bin/env bash
# Proves each workshop exercise check is real and solvable:
#   1. on the code as shipped, `cargo test -p exercises --features exNN` FAILS (the exercise is still to do);
#   2. with docs/solutions/exNN.patch applied (ex02: ACCESS_TOKEN_TTL=5), it PASSES.
# Runs in a throw-away git worktree of HEAD, so your own tree is never touched.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
# A target dir of its own, never your tree's: cargo remembers a workspace crate's sources by
# their path inside the workspace, so a solution built from the throw-away tree into your
# target dir would look up to date to your next `cargo test` (a provider with exercise 5's
# remembered consent, say) and stay there until you edit that crate.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}/solutions
work=$(mktemp -d)
git -C "$root" worktree add --detach -q "$work/tree" HEAD
trap 'git -C "$root" worktree remove --force "$work/tree"; rm -rf "$work"' EXIT
cd "$work/tree"

check() { cargo test -q -p exercises --features "$1" >"$work/$1.log" 2>&1; }

for ex in ex01 ex02 ex03 ex04 ex05; do
  if ACCESS_TOKEN_TTL= check "$ex"; then
    echo "$ex: the check passes on the shipped code: it checks nothing" >&2
    exit 1
  fi
  if [ "$ex" = ex02 ]; then
    ACCESS_TOKEN_TTL=5 check "$ex" || { cat "$work/$ex.log" >&2; echo "$ex: the solution does not pass" >&2; exit 1; }
  else
    git apply "$root/docs/solutions/$ex.patch"
    check "$ex" || { cat "$work/$ex.log" >&2; echo "$ex: the solution does not pass" >&2; exit 1; }
    git checkout -q -- .
  fi
  echo "$ex: the check fails before the exercise and passes after it"
done
