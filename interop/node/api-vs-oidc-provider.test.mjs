// Our notes API (api/) against an authorization server we did not write: panva's
// `oidc-provider`, with RFC 8707 resource indicators and RFC 9068 JWT access tokens for the
// API's URL. The API knows this issuer only through HTTP (its metadata and `jwks_uri`), as
// it knows ours; a token whose audience is the API reads notes, one for another audience is
// refused (RFC 9068 §4: "the `aud` claim contains a resource indicator value … that the
// resource server expects").
//
// Run from the workspace root: `node --test interop/node/`, with API_BIN naming the API
// binary (`cargo build -p api`; interop/run.sh does both).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { errors } from 'oidc-provider';
import { spawnUntilReady, startOidcProvider } from './support/oidc-provider.mjs';
import { freePort } from './support/provider.mjs';

const API_BIN = process.env.API_BIN;
const CLIENT_ID = 'notes-service';
const CLIENT_SECRET = 'a-secret-for-the-interop-test-only';
const OTHER_API = 'https://other-api.example';

let issuer;
let apiUrl;
let authorizationServer;
let api;

// The authorization server: oidc-provider on a port the OS chose, signing with an RS256 key
// made for this run. Resource indicators: the API's URL and one other audience, both with
// JWT access tokens; any other `resource` is `invalid_target` (RFC 8707 §2).
async function startAuthorizationServer() {
  const resourceServers = {
    [apiUrl]: 'notes:read notes:write',
    [OTHER_API]: 'notes:read notes:write',
  };
  // Our API reads RFC 8414 metadata at /.well-known/oauth-authorization-server, which
  // oidc-provider serves only with the alias (`rfc8414`).
  const started = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'notes:read notes:write',
      },
    ],
    scopes: ['notes:read', 'notes:write'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          const scope = resourceServers[resourceIndicator];
          if (!scope) throw new errors.InvalidTarget();
          return {
            scope,
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  }, { rfc8414: true });
  issuer = started.issuer;
  return started.server;
}

// Our API, as `cargo run -p api` starts it, trusting oidc-provider. Resolves with the
// process once it prints its "listening" line.
async function startApi(port) {
  assert.ok(API_BIN, 'API_BIN names the API binary: `cargo build -p api` (interop/run.sh sets it)');
  return spawnUntilReady(
    API_BIN,
    {
      API_BIND: `127.0.0.1:${port}`,
      API_URL: apiUrl,
      AUTH_SERVER: issuer,
      API_CLIENT_ID: CLIENT_ID,
      API_CLIENT_SECRET: CLIENT_SECRET,
      JWKS_REFRESH_FLOOR: '0',
    },
    'api listening on http://',
  );
}

// A client_credentials token (RFC 6749 §4.4) for `resource` (RFC 8707 §2.2).
async function tokenFor(resource) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'notes:read notes:write', resource }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token;
}

async function getNotes(token) {
  return fetch(`${apiUrl}/notes`, { headers: { authorization: `Bearer ${token}` } });
}

before(async () => {
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  authorizationServer = await startAuthorizationServer();
  api = await startApi(apiPort);
});

after(async () => {
  api?.kill('SIGTERM');
  authorizationServer?.close();
  authorizationServer?.closeAllConnections();
});

test("oidc-provider issues an RFC 9068 JWT access token for the API's URL", async () => {
  const token = await tokenFor(apiUrl);
  const header = jose.decodeProtectedHeader(token);
  const claims = jose.decodeJwt(token);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(claims.iss, issuer);
  assert.deepEqual([claims.aud].flat(), [apiUrl]);
});

test("our API reads notes with oidc-provider's token for its URL (200) and can write one", async () => {
  const token = await tokenFor(apiUrl);
  const written = await fetch(`${apiUrl}/notes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'written with a token from oidc-provider' }),
  });
  assert.equal(written.status, 201, await written.text());
  const read = await getNotes(token);
  assert.equal(read.status, 200, await read.clone().text());
  const notes = await read.json();
  assert.ok(notes.some((note) => note.text === 'written with a token from oidc-provider'), JSON.stringify(notes));
});

test("our API refuses oidc-provider's token for another audience: 401 invalid_token with resource_metadata", async () => {
  const token = await tokenFor(OTHER_API);
  assert.deepEqual([jose.decodeJwt(token).aud].flat(), [OTHER_API]);
  const refused = await getNotes(token);
  assert.equal(refused.status, 401);
  const challenge = refused.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer /);
  assert.match(challenge, /error="invalid_token"/);
  assert.ok(challenge.includes(`resource_metadata="${apiUrl}/.well-known/oauth-protected-resource"`), challenge);
});

test('oidc-provider refuses a resource it does not know with invalid_target (RFC 8707 §2)', async () => {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://unknown.example' }),
  });
  assert.equal(response.status, 400);
  assert.equal((await response.json()).error, 'invalid_target');
});
