#!/usr/bin/env bash
# The whole authorization code flow by hand, with curl, against a running provider.
#   cargo run -p provider          # in one terminal (or `cargo run`: both programs)
#   bash docs/walkthrough.sh       # in another
# Every step prints what came back. PROVIDER overrides the address (the tests use it).
#   bash docs/walkthrough.sh --token "profile:read teams:write"
# runs steps 1-5 silently and prints only a fresh user access token with that scope.
# The first step that does not get the answer it expects stops the walk with a message on
# stderr and exit code 1 (so `TOKEN=$(bash docs/walkthrough.sh --token ...)` never gets "").
set -euo pipefail
PROVIDER=${PROVIDER:-http://localhost:8080}
SCOPE="profile:read teams:read"
exec 3>&1
if [ "${1:-}" = "--token" ]; then
  SCOPE=${2:-$SCOPE}
  exec 3>/dev/null
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
JAR="$WORK/cookies"
ENCODED_SCOPE=$(printf '%s' "$SCOPE" | sed 's/:/%3A/g; s/ /%20/g')

# stop MESSAGE: says which step failed and why, then ends the walk.
stop() {
  echo "walkthrough.sh: $1" >&2
  exit 1
}

# call STEP EXPECTED CURL-ARGS...: one request in the cookie jar. The body lands in
# $WORK/body, the headers in $WORK/headers, the status in $STATUS. A status that does not
# match EXPECTED (a pattern: 200, 3??) stops the walk, saying what happened.
call() {
  local step=$1 expected=$2
  shift 2
  STATUS=$(curl -s -c "$JAR" -b "$JAR" -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' "$@") \
    || stop "$step: no answer from $PROVIDER. Is the provider running? (cargo run -p provider)"
  # shellcheck disable=SC2254 # EXPECTED is a pattern on purpose
  case "$STATUS" in
    $expected) return 0 ;;
    429)
      local wait
      wait=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$WORK/headers" | head -1)
      stop "$step: HTTP 429 Too Many Requests. The provider allows 10 logins a minute from one address (RATE_LIMIT_LOGIN_PER_MINUTE); wait ${wait:-60} s and run it again." ;;
    *) stop "$step: HTTP $STATUS (expected $expected): $(head -c 400 "$WORK/body")" ;;
  esac
}
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$2" | head -1; }
location() { sed -n 's/^[Ll]ocation: *//p' "$WORK/headers" | tr -d '\r' | head -1; }

echo "== 1. PKCE (RFC 7636 §4.1-4.2): a random verifier and its S256 challenge" >&3
VERIFIER=$(openssl rand -base64 48 | tr -d '=+/\n' | cut -c1-64)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | openssl base64 | tr '+/' '-_' | tr -d '=\n')
STATE=$(openssl rand -hex 16)
echo "challenge=$CHALLENGE state=$STATE" >&3

echo "== 2. The authorization request (RFC 6749 §4.1.1), in a 'browser' with a cookie jar" >&3
call "step 2 (the authorization request)" 200 \
  "$PROVIDER/oauth/authorize?response_type=code&client_id=testclient&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=$ENCODED_SCOPE&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"
cp "$WORK/body" "$WORK/login.html"
echo "HTTP $STATUS: the login page" >&3

echo "== 3. Log in, with the form's hidden csrf_token and request_id" >&3
call "step 3 (log in as demo)" '3??' \
  -d username=demo -d password=demo \
  -d csrf_token="$(field csrf_token "$WORK/login.html")" -d request_id="$(field request_id "$WORK/login.html")" \
  "$PROVIDER/login"
echo "HTTP $STATUS -> $(location)" >&3

echo "== 4. The consent page, then approve (RFC 6749 §4.1.2: back with code, state, iss)" >&3
call "step 4 (the consent page)" 200 "$PROVIDER/oauth/authorize?request_id=$(field request_id "$WORK/login.html")"
cp "$WORK/body" "$WORK/consent.html"
call "step 4 (approve)" '3??' \
  -d csrf_token="$(field csrf_token "$WORK/consent.html")" -d request_id="$(field request_id "$WORK/consent.html")" \
  -d decision=approve "$PROVIDER/oauth/authorize"
REDIRECT=$(location)
echo "$REDIRECT" >&3
CODE=$(printf '%s' "$REDIRECT" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
[ -n "$CODE" ] || stop "step 4 (approve): the redirect carries no code: $REDIRECT"

echo "== 5. Exchange the code (RFC 6749 §4.1.3 + RFC 7636 §4.5), client_secret_basic" >&3
call "step 5 (the token request)" 200 -u testclient:testsecret \
  -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=http://localhost:3000/callback -d code_verifier="$VERIFIER" \
  "$PROVIDER/oauth/token"
cp "$WORK/body" "$WORK/tokens.json"
cat "$WORK/tokens.json" >&3
echo >&3
ACCESS=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$WORK/tokens.json")
[ -n "$ACCESS" ] || stop "step 5 (the token request): no access_token in $(cat "$WORK/tokens.json")"
if [ "${1:-}" = "--token" ]; then
  echo "$ACCESS"
  exit 0
fi

echo "== 6. Call the APIs with the access token (RFC 6750 §2.1)" >&3
for path in /api/auth/me /api/user/teams; do
  call "step 6 ($path)" 200 -H "Authorization: Bearer $ACCESS" "$PROVIDER$path"
  cat "$WORK/body"; echo
done

echo "== 7. The same code again: refused, and what it produced is revoked (RFC 6749 §4.1.2)" >&3
call "step 7 (the replayed code)" 400 -u testclient:testsecret \
  -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=http://localhost:3000/callback -d code_verifier="$VERIFIER" \
  "$PROVIDER/oauth/token"
cat "$WORK/body"; echo
call "step 7 (introspection)" 200 -u testclient:testsecret -d token="$ACCESS" "$PROVIDER/oauth/introspect"
cat "$WORK/body"; echo
