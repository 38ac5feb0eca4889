// Cross-check of the provider's signing foundations (provider/src/openid) by panva's `jose`,
// software we did not write: every ID token the provider signs must verify against its
// public JWK Set, every `kid` must be the key's RFC 7638 thumbprint, no JWK may carry a
// private member, and `at_hash` must be what an independent implementation computes
// (Core §3.1.3.6; SHA-512 for EdDSA, as oauth4webapi and oidc-provider compute it).
//
// Run from the workspace root: `node --test interop/node/`. The samples come from
// `cargo run -q -p provider --example jws_samples`, or from the file JWS_SAMPLES names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';

const workspace = fileURLToPath(new URL('../..', import.meta.url));
const { jwks, samples } = JSON.parse(
  process.env.JWS_SAMPLES
    ? readFileSync(process.env.JWS_SAMPLES, 'utf8')
    : execFileSync('cargo', ['run', '-q', '-p', 'provider', '--example', 'jws_samples'], {
        cwd: workspace,
        encoding: 'utf8',
      }),
);
const keySet = jose.createLocalJWKSet(jwks);

test('the samples cover RS256, ES256 and EdDSA', () => {
  assert.deepEqual(samples.map((s) => s.alg), ['RS256', 'ES256', 'EdDSA']);
});

test('no published JWK carries a private member', () => {
  for (const jwk of jwks.keys) {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      assert.equal(member in jwk, false, `${jwk.kid} has ${member}`);
    }
    assert.equal(jwk.use, 'sig');
  }
});

test('every kid is the RFC 7638 thumbprint of its key', async () => {
  for (const jwk of jwks.keys) {
    assert.equal(await jose.calculateJwkThumbprint(jwk, 'sha256'), jwk.kid);
  }
});

for (const sample of samples) {
  test(`a ${sample.alg} ID token verifies with jose against the published JWKS`, async () => {
    const { payload, protectedHeader } = await jose.jwtVerify(sample.id_token, keySet, {
      algorithms: [sample.alg],
      issuer: 'http://localhost:8080',
      audience: 'testclient',
      typ: 'JWT',
    });
    assert.equal(protectedHeader.kid, sample.kid);
    assert.equal(payload.sub, 'user1');
    assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
  });

  test(`a ${sample.alg} ID token's at_hash is the left half of the alg's hash`, () => {
    const hash = sample.alg === 'EdDSA' ? 'sha512' : 'sha256';
    const digest = createHash(hash).update(sample.access_token, 'ascii').digest();
    const expected = digest.subarray(0, digest.length / 2).toString('base64url');
    assert.equal(jose.decodeJwt(sample.id_token).at_hash, expected);
  });

  test(`a ${sample.alg} ID token with one changed claim is refused`, async () => {
    const [header, , signature] = sample.id_token.split('.');
    const forged = jose.base64url.encode(
      JSON.stringify({ ...jose.decodeJwt(sample.id_token), sub: 'admin' }),
    );
    await assert.rejects(
      jose.jwtVerify(`${header}.${forged}.${signature}`, keySet, { algorithms: [sample.alg] }),
      { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
    );
  });
}
