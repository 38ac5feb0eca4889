// Our RFC 9068 JWT access tokens, judged by a resource-server library we did not write:
// oauth4webapi's `validateJwtAccessToken` (header `typ: at+jwt`, the required claims `iss`,
// `exp`, `aud`, `sub`, `iat`, `jti`, `client_id`, the issuer, the audience, the signature
// with the issuer's JWKS). One token per algorithm the provider signs with, made by the
// provider's own `sign_access_token` (provider/src/oauth/token/jwt_access_token.rs).
//
// Run from the workspace root: `node --test interop/node/`. The samples come from
// `cargo run -q -p provider --example access_token_samples`, or from the file
// ACCESS_TOKEN_SAMPLES names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';

const workspace = fileURLToPath(new URL('../..', import.meta.url));
const { issuer, audience, jwks, samples } = JSON.parse(
  process.env.ACCESS_TOKEN_SAMPLES
    ? readFileSync(process.env.ACCESS_TOKEN_SAMPLES, 'utf8')
    : execFileSync('cargo', ['run', '-q', '-p', 'provider', '--example', 'access_token_samples'], {
        cwd: workspace,
        encoding: 'utf8',
      }),
);

// The authorization server as its RFC 8414 metadata describes it; the JWKS is served by a
// fetch stand-in, so the suite needs no network.
const authorizationServer = () => ({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
const options = (alg) => ({
  signingAlgorithms: [alg],
  // The demo issuer is http://localhost:8080; nothing goes over the network here.
  [oauth.allowInsecureRequests]: true,
  [oauth.customFetch]: async (url) => {
    assert.equal(url, `${issuer}/.well-known/jwks.json`);
    return new Response(JSON.stringify(jwks), {
      headers: { 'content-type': 'application/jwk-set+json' },
    });
  },
});
const bearer = (token) =>
  new Request(`${audience}/notes`, { headers: { authorization: `Bearer ${token}` } });

test('the samples cover RS256, ES256 and EdDSA', () => {
  assert.deepEqual(
    samples.map((s) => s.alg),
    ['RS256', 'ES256', 'EdDSA'],
  );
});

for (const sample of samples) {
  test(`a ${sample.alg} access token passes oauth4webapi's validateJwtAccessToken`, async () => {
    const claims = await oauth.validateJwtAccessToken(
      authorizationServer(),
      bearer(sample.access_token),
      audience,
      options(sample.alg),
    );
    assert.equal(claims.sub, 'user1');
    assert.equal(claims.client_id, 'testclient');
    assert.equal(claims.scope, 'notes:read notes:write');
    assert.equal(claims.exp - claims.iat, 300);
  });

  test(`a ${sample.alg} access token is refused for another audience`, async () => {
    await assert.rejects(
      oauth.validateJwtAccessToken(
        authorizationServer(),
        bearer(sample.access_token),
        'http://localhost:9999',
        options(sample.alg),
      ),
      /aud/,
    );
  });
}
