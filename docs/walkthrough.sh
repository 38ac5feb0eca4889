#!/usr/bin/env bash
# The whole authorization code flow by hand, with curl, against a running provider.
#   cargo run -p provider          # in one terminal
#   bash docs/walkthrough.sh       # in another
# Every step prints what came back. PROVIDER overrides the address (the tests use it).
#   bash docs/walkthrough.sh --token "profile:read teams:write"
# runs steps 1-5 silently and prints only a fresh user access token with that scope.
set -euo pipefail
PROVIDER=${PROVIDER:-http://localhost:8080}
SCOPE="profile:read teams:read"
exec 3>&1
if [ "${1:-}" = "--token" ]; then
  SCOPE=${2:-$SCOPE}
  exec 3>/dev/null
fi
WORK=$(mktemp -d)
JAR="$WORK/cookies"
ENCODED_SCOPE=$(printf '%s' "$SCOPE" | sed 's/:/%3A/g; s/ /%20/g')

echo "== 1. PKCE (RFC 7636 §4.1-4.2): a random verifier and its S256 challenge" >&3
VERIFIER=$(openssl rand -base64 48 | tr -d '=+/\n' | cut -c1-64)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | openssl base64 | tr '+/' '-_' | tr -d '=\n')
STATE=$(openssl rand -hex 16)
echo "challenge=$CHALLENGE state=$STATE" >&3

echo "== 2. The authorization request (RFC 6749 §4.1.1), in a 'browser' with a cookie jar" >&3
curl -s -c "$JAR" -b "$JAR" -o "$WORK/login.html" -w 'HTTP %{http_code}: the login page\n' >&3 \
  "$PROVIDER/oauth/authorize?response_type=code&client_id=testclient&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=$ENCODED_SCOPE&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$2" | head -1; }

echo "== 3. Log in, with the form's hidden csrf_token and request_id" >&3
curl -s -c "$JAR" -b "$JAR" -o /dev/null -w 'HTTP %{http_code} -> %{redirect_url}\n' >&3 \
  -d username=demo -d password=demo \
  -d csrf_token="$(field csrf_token "$WORK/login.html")" -d request_id="$(field request_id "$WORK/login.html")" \
  "$PROVIDER/login"

echo "== 4. The consent page, then approve (RFC 6749 §4.1.2: back with code, state, iss)" >&3
curl -s -c "$JAR" -b "$JAR" -o "$WORK/consent.html" "$PROVIDER/oauth/authorize?request_id=$(field request_id "$WORK/login.html")"
REDIRECT=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' \
  -d csrf_token="$(field csrf_token "$WORK/consent.html")" -d request_id="$(field request_id "$WORK/consent.html")" \
  -d decision=approve "$PROVIDER/oauth/authorize")
echo "$REDIRECT" >&3
CODE=$(printf '%s' "$REDIRECT" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')

echo "== 5. Exchange the code (RFC 6749 §4.1.3 + RFC 7636 §4.5), client_secret_basic" >&3
curl -s -u testclient:testsecret \
  -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=http://localhost:3000/callback -d code_verifier="$VERIFIER" \
  "$PROVIDER/oauth/token" > "$WORK/tokens.json"
cat "$WORK/tokens.json" >&3
echo >&3
ACCESS=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$WORK/tokens.json")
if [ "${1:-}" = "--token" ]; then
  echo "$ACCESS"
  exit 0
fi

echo "== 6. Call the APIs with the access token (RFC 6750 §2.1)" >&3
curl -s -H "Authorization: Bearer $ACCESS" "$PROVIDER/api/auth/me"; echo
curl -s -H "Authorization: Bearer $ACCESS" "$PROVIDER/api/user/teams"; echo

echo "== 7. The same code again: refused, and what it produced is revoked (RFC 6749 §4.1.2)" >&3
curl -s -u testclient:testsecret \
  -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=http://localhost:3000/callback -d code_verifier="$VERIFIER" \
  "$PROVIDER/oauth/token"; echo
curl -s -u testclient:testsecret -d token="$ACCESS" "$PROVIDER/oauth/introspect"; echo
