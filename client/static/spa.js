// The public client of /spa: the authorization code flow with PKCE (RFC 6749 §4.1,
// RFC 7636), done entirely by this script, beside the server-side client of /login.
//
// Everything it needs comes from the page's data- attributes (the server discovered the
// endpoints); nothing about the provider is written here. Its requests go straight from
// the browser to the provider (CORS), so the server's flow inspector cannot see them:
// log() keeps a record on the page instead, codes masked, tokens by fingerprint.
//
// The tokens live in `tokens`, a variable of this closure, and nowhere else: not
// localStorage, not a cookie. Only the verifier and `state` cross the redirect, in
// sessionStorage (this page is unloaded meanwhile), and only until the callback reads them.
(function () {
  "use strict";
  var config = document.getElementById("spa-config").dataset;
  var PENDING = "spa-pending-authorization"; // the sessionStorage key: { verifier, state }
  var tokens = null; // { access, refresh, scope }: the only place the tokens are kept

  function $(id) { return document.getElementById(id); }

  // base64url without padding (RFC 7636 Appendix A).
  function base64url(bytes) {
    var binary = "";
    bytes.forEach(function (byte) { binary += String.fromCharCode(byte); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // 32 bytes from the CSPRNG: a 43-character verifier or state, 256 bits (RFC 7636 §4.1).
  function randomString() {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  // code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2).
  async function s256(verifier) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  // The first 8 hex digits of the token's SHA-256: the fingerprint both apps' logs print.
  async function fingerprint(token) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
    return Array.from(new Uint8Array(digest).slice(0, 4), function (byte) {
      return byte.toString(16).padStart(2, "0");
    }).join("");
  }

  // Codes, verifiers and states are shown like the inspector shows them: four characters.
  function mask(value) { return value ? value.slice(0, 4) + "…" : "(none)"; }

  // One line of the on-page log; textContent only, so nothing from a response becomes markup.
  function log(step, text, ok) {
    var item = document.createElement("li");
    item.className = ok === false ? "error" : "ok";
    item.textContent = "Step " + step + ": " + text;
    $("spa-log").appendChild(item);
  }

  // Buttons follow what is in memory; the token cells show fingerprints, never tokens.
  async function showTokens() {
    $("spa-access").textContent = tokens ? "fingerprint " + (await fingerprint(tokens.access)) +
      " · scope " + tokens.scope : "none in memory";
    $("spa-refresh-token").textContent = tokens && tokens.refresh
      ? "fingerprint " + (await fingerprint(tokens.refresh)) : "none in memory";
    $("spa-me").disabled = !tokens;
    $("spa-refresh").disabled = !(tokens && tokens.refresh);
    $("spa-revoke").disabled = !(tokens && config.revocationEndpoint);
  }

  // A form POST to the provider (RFC 6749 §3.2: application/x-www-form-urlencoded), no
  // cookies sent (credentials: "omit"). Answers { status, body }; a network or CORS refusal
  // throws, and the browser does not say which (it hides refused responses from scripts).
  async function post(url, form) {
    var response = await fetch(url, {
      method: "POST", body: new URLSearchParams(form), credentials: "omit", cache: "no-store",
    });
    var body = await response.json().catch(function () { return null; });
    return { status: response.status, body: body };
  }

  function describeError(answer) {
    var body = answer.body || {};
    return "HTTP " + answer.status + " " + (body.error || "") +
      (body.error_description ? " (" + body.error_description + ")" : "");
  }

  // Step 1 (RFC 6749 §4.1.1): verifier, challenge and state, then off to the provider.
  async function startLogin() {
    var verifier = randomString();
    var state = randomString();
    var url = new URL(config.authorizationEndpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", config.clientId);
    url.searchParams.set("redirect_uri", config.redirectUri);
    url.searchParams.set("scope", config.scope);
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await s256(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    sessionStorage.setItem(PENDING, JSON.stringify({ verifier: verifier, state: state }));
    location.assign(url.toString());
  }

  // Step 2 (RFC 6749 §4.1.2, §4.1.3; RFC 9207): check the response, then exchange the code.
  async function finishLogin(params) {
    var pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING); // single use, whatever happens next
    history.replaceState(null, "", "/spa"); // the code leaves the address bar and history
    var fail = function (check) {
      $("spa-callback-result").textContent = "Refused: " + check + ".";
      log(2, "refused the authorization response: " + check, false);
    };
    if (!pending) return fail("no login in progress in this tab (sessionStorage belongs to one tab)");
    log(1, "before the redirect: verifier " + mask(pending.verifier) + " and state " +
      mask(pending.state) + " kept in sessionStorage; code_challenge " +
      (await s256(pending.verifier)) + " (S256) sent to " + config.authorizationEndpoint);
    // A state that is not ours means this response answers someone else's request (§10.12).
    if (params.get("state") !== pending.state) return fail("state mismatch");
    var iss = params.get("iss");
    if (iss !== null ? iss !== config.issuer : config.issRequired === "true") {
      return fail("issuer mismatch (iss " + (iss === null ? "missing" : iss) + ")");
    }
    if (params.get("error")) {
      return fail(params.get("error") + (params.get("error_description")
        ? ": " + params.get("error_description") : ""));
    }
    if (!params.get("code")) return fail("the authorization response has no code");
    log(2, "state and iss match; code " + mask(params.get("code")) + " received");
    var answer = await post(config.tokenEndpoint, {
      grant_type: "authorization_code", code: params.get("code"),
      redirect_uri: config.redirectUri, client_id: config.clientId,
      code_verifier: pending.verifier, // no client_secret: a public client has none
    });
    if (answer.status !== 200) {
      $("spa-callback-result").textContent = "The token endpoint refused: " + describeError(answer);
      return log(2, "POST " + config.tokenEndpoint + " → " + describeError(answer), false);
    }
    await keep(answer.body, 2, "POST " + config.tokenEndpoint + " (authorization_code) → 200");
    $("spa-callback-result").textContent = "Signed in: the tokens are in this page's memory.";
    await callProfile();
  }

  // Takes the tokens of a token response into memory, and logs them by fingerprint.
  async function keep(body, step, what) {
    // RFC 6749 §6: a refresh answer without a refresh token means "keep the one you have".
    var refresh = body.refresh_token || (tokens && tokens.refresh) || null;
    tokens = { access: body.access_token, refresh: refresh, scope: body.scope };
    log(step, what + ": access token " + (await fingerprint(tokens.access)) + ", refresh token " +
      (tokens.refresh ? await fingerprint(tokens.refresh) : "none") + ", expires in " +
      body.expires_in + " s");
    await showTokens();
  }

  // Step 3 (RFC 6750 §2.1): the API, with the bearer token in the Authorization header.
  // `revoked` is given after step 5: then a 401 is the expected answer.
  async function callProfile(revoked) {
    var response = await fetch(config.profileEndpoint, {
      headers: { Authorization: "Bearer " + (revoked || tokens.access) },
      credentials: "omit", cache: "no-store",
    });
    var what = "GET " + config.profileEndpoint + " → " + response.status;
    if (revoked || response.status !== 200) {
      $("spa-me-result").textContent = what + " " + (response.headers.get("WWW-Authenticate") || "");
      $("spa-profile").hidden = true;
      var expected = revoked && response.status === 401;
      return log(revoked ? 5 : 3, what + (expected ? ": the revoked access token is refused" : ""),
        revoked ? expected : false);
    }
    var profile = await response.json();
    $("spa-profile-username").textContent = profile.username;
    $("spa-profile-display-name").textContent = profile.display_name;
    $("spa-profile-email").textContent = profile.email;
    $("spa-profile").hidden = false;
    $("spa-me-result").textContent = what;
    log(3, what + ": signed in as " + profile.username);
  }

  // Step 4 (RFC 6749 §6): a new access token, and a new refresh token (rotation).
  async function refresh() {
    var answer = await post(config.tokenEndpoint, {
      grant_type: "refresh_token", refresh_token: tokens.refresh, client_id: config.clientId,
    });
    if (answer.status !== 200) {
      tokens = null; // a refused refresh token is dead: the grant may have been revoked
      await showTokens();
      return log(4, "POST " + config.tokenEndpoint + " → " + describeError(answer), false);
    }
    await keep(answer.body, 4, "POST " + config.tokenEndpoint + " (refresh_token) → 200, rotated");
  }

  // Step 5 (RFC 7009 §2.1): revoke the refresh token (its grant ends), forget both, prove it.
  async function revoke() {
    var revoked = tokens;
    tokens = null;
    await showTokens();
    var answer = await post(config.revocationEndpoint, {
      token: revoked.refresh || revoked.access,
      token_type_hint: revoked.refresh ? "refresh_token" : "access_token",
      client_id: config.clientId,
    });
    log(5, "POST " + config.revocationEndpoint + " → " + answer.status + "; both tokens forgotten",
      answer.status === 200);
    $("spa-me-result").textContent = "";
    await callProfile(revoked.access); // must now be 401: the provider no longer accepts it
  }

  // Runs an action; a thrown error (network down, CORS refused) goes to the log.
  function guarded(step, action) {
    return function () {
      action().catch(function (error) {
        log(step, "the request failed before any answer could be read (provider down, or " +
          "this origin refused by CORS): " + error.message, false);
      });
    };
  }

  // Exported for the RFC 7636 Appendix B check of the browser test; it holds no token.
  window.spaPkce = Object.freeze({ s256: s256 });

  if (!window.crypto || !crypto.subtle) {
    // crypto.subtle exists only in secure contexts: https, or a page on localhost.
    log(1, "this browser offers no crypto.subtle here: open the page over https or on localhost", false);
    return;
  }
  $("spa-login").disabled = false;
  $("spa-login").addEventListener("click", guarded(1, startLogin));
  $("spa-me").addEventListener("click", guarded(3, function () { return callProfile(); }));
  $("spa-refresh").addEventListener("click", guarded(4, refresh));
  $("spa-revoke").addEventListener("click", guarded(5, revoke));
  var params = new URLSearchParams(location.search);
  if (location.pathname === new URL(config.redirectUri).pathname) {
    guarded(2, function () { return finishLogin(params); })();
  }
})();
