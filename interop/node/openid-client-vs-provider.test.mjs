// panva's `openid-client` 6.9.0 (a certified OpenID Connect Relying Party, software we did not
// write) signs in at our provider, the real binary, and checks what it gets at every step:
//
// 1. Discovery 1.0 §4: `/.well-known/openid-configuration`, `issuer` equal to the URL asked.
// 2. Core 1.0 §3.1.2: an authorization request with code + PKCE (RFC 7636, S256) + `state` +
//    `nonce`; a browser (support/provider.mjs) signs in and approves on the provider's pages.
// 3. Core 1.0 §3.1.3: the code exchange. openid-client validates the ID token (§3.1.3.7:
//    signature by `kid` from our `jwks_uri`, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`),
//    the `state`, and the RFC 9207 `iss` of the redirect. It does not check `at_hash` in the
//    code flow, where Core 1.0 §3.1.3.8 leaves it to the client (MAY); the Authlib and
//    openidconnect suites do.
// 4. Core 1.0 §5.3: UserInfo, whose `sub` must be the ID token's.
// 5. Core 1.0 §12.2: a refresh returns a new ID token with the same `sub` and `auth_time`.
// 6. RP-Initiated Logout 1.0 §2, §3: the logout URL built by the library, followed: back at the
//    registered `post_logout_redirect_uri` with `state`, and the provider session is over.
//
// The ID token's algorithm is the one the client registered (Dynamic Client Registration 1.0
// §2 `id_token_signed_response_alg`; openid-client refuses any other, Core 1.0 §3.1.3.7 step
// 7): the demo client registered ES256 (the provider's CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG
// default), so the client metadata says ES256, as a real Relying Party's would. A second
// provider, started with CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG=RS256, runs the code flow with
// RS256, the registration default, which every provider must offer (Discovery 1.0 §3).
//
// Plain `http://` on loopback: openid-client 6 refuses it unless told `allowInsecureRequests`,
// because an ID token and a code travel on that connection and Core 1.0 §16.17 requires TLS.
// A real Relying Party never passes it.
//
// Run by interop/run.sh, which builds the provider and sets PROVIDER_BIN.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { Browser, DEMO, spawnProvider } from './support/provider.mjs';

/** The JOSE header of a compact JWS. */
function header(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString());
}

/** openid-client's configuration for the demo client, registered for `alg` ID tokens. */
function discover(provider, alg) {
  return client.discovery(
    new URL(provider.issuer),
    DEMO.clientId,
    { client_secret: DEMO.clientSecret, id_token_signed_response_alg: alg },
    undefined,
    { execute: [client.allowInsecureRequests] },
  );
}

/**
 * One sign-in in `browser` with `config`: code + PKCE + `state` + `nonce` for `scope`,
 * exchanged by the library, which validates the ID token. Resolves to `{ tokens, nonce }`.
 */
async function codeFlow(config, browser = new Browser(), scope = 'openid') {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: DEMO.redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await browser.signIn(authorizationUrl.href, DEMO.redirectUri);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, nonce };
}

describe('openid-client 6.9.0 against our provider', () => {
  let provider;
  let config;
  // What one step hands to the next: the steps run in order, as one sign-in.
  const flow = {};

  before(async () => {
    provider = await spawnProvider();
    config = await discover(provider, 'ES256');
  });

  after(() => provider?.stop());

  test('discovery finds the issuer, the endpoints, RS256 and ES256', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, provider.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      assert.ok(metadata[endpoint]?.startsWith(provider.issuer), `${endpoint}: ${metadata[endpoint]}`);
    }
    assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    assert.ok(metadata.scopes_supported.includes('openid'));
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  });

  test('the code flow with PKCE, state and nonce gives an ID token the library validates', async () => {
    flow.browser = new Browser();
    const { tokens, nonce } = await codeFlow(config, flow.browser, 'openid profile email');
    assert.equal(header(tokens.id_token).alg, 'ES256', 'the algorithm the client registered');
    const claims = tokens.claims();
    assert.equal(claims.iss, provider.issuer);
    assert.equal(claims.aud, DEMO.clientId);
    assert.equal(claims.nonce, nonce);
    assert.equal(typeof claims.sub, 'string');
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(typeof claims.at_hash, 'string');
    assert.ok(tokens.refresh_token, 'the code exchange returns a refresh token');
    flow.tokens = tokens;
    flow.claims = claims;
    flow.idToken = tokens.id_token;
  });

  test('UserInfo answers the same sub with the profile and email claims', async () => {
    assert.ok(flow.tokens, 'the code flow step ran');
    const userinfo = await client.fetchUserInfo(config, flow.tokens.access_token, flow.claims.sub);
    assert.equal(userinfo.sub, flow.claims.sub);
    assert.equal(typeof userinfo.name, 'string');
    assert.equal(typeof userinfo.preferred_username, 'string');
    assert.equal(typeof userinfo.email, 'string');
    assert.equal(typeof userinfo.email_verified, 'boolean');
  });

  test('a refresh gives a new ID token with the same sub and auth_time', async () => {
    assert.ok(flow.tokens, 'the code flow step ran');
    const refreshed = await client.refreshTokenGrant(config, flow.tokens.refresh_token);
    assert.ok(refreshed.id_token, 'a refresh of an openid grant returns an ID token');
    assert.notEqual(refreshed.id_token, flow.tokens.id_token);
    assert.notEqual(refreshed.refresh_token, flow.tokens.refresh_token, 'refresh tokens rotate');
    assert.equal(header(refreshed.id_token).alg, 'ES256', 'a refresh keeps the registered alg');
    const claims = refreshed.claims();
    assert.equal(claims.sub, flow.claims.sub);
    assert.equal(claims.auth_time, flow.claims.auth_time);
    assert.equal(claims.aud, DEMO.clientId);
    flow.idToken = refreshed.id_token;
  });

  // RP-Initiated Logout 1.0: its own case, so the rest of the suite stands without it.
  test('the logout URL the library builds ends the provider session and returns with state', async () => {
    assert.ok(flow.idToken, 'the code flow step ran');
    const metadata = config.serverMetadata();
    assert.ok(metadata.end_session_endpoint, 'discovery advertises end_session_endpoint');
    const state = client.randomState();
    const logoutUrl = client.buildEndSessionUrl(config, {
      id_token_hint: flow.idToken,
      post_logout_redirect_uri: DEMO.postLogoutRedirectUri,
      state,
    });
    const back = new URL(await flow.browser.signOut(logoutUrl.href, DEMO.postLogoutRedirectUri));
    assert.equal(back.origin + back.pathname, DEMO.postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), state);

    // The session is over: an authorization request with prompt=none cannot be answered
    // without a sign-in (Core 1.0 §3.1.2.1).
    const silent = client.buildAuthorizationUrl(config, {
      redirect_uri: DEMO.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'after-logout',
      prompt: 'none',
    });
    const response = await flow.browser.fetch(silent.href);
    const answer = new URL(response.headers.get('location'), silent);
    assert.equal(answer.searchParams.get('error'), 'login_required');
  });
});

describe('openid-client 6.9.0 against our provider, the demo client registered for RS256', () => {
  let provider;

  before(async () => {
    provider = await spawnProvider({ CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG: 'RS256' });
  });

  after(() => provider?.stop());

  test('the code flow gives an RS256 ID token the library validates', async () => {
    const { tokens } = await codeFlow(await discover(provider, 'RS256'));
    assert.equal(header(tokens.id_token).alg, 'RS256');
    assert.equal(tokens.claims().aud, DEMO.clientId);
  });

  test('a Relying Party that registered ES256 refuses the RS256 ID token', async () => {
    await assert.rejects(codeFlow(await discover(provider, 'ES256')), (error) => {
      // openid-client wraps oauth4webapi's error; the cause names the refused header.
      assert.match(String(error.cause?.message), /"alg"/);
      return true;
    });
  });
});
