// What the suites that put our programs in front of panva's `oidc-provider` share
// (api-vs-oidc-provider.test.mjs, client-vs-oidc-provider.test.mjs): oidc-provider itself on a
// port the OS chose, signing with an RS256 key made for the run (RFC 7518 §3.3), and one of our
// binaries started as a child process, ready once it prints its "listening" line.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

/**
 * oidc-provider on 127.0.0.1, on a port the OS chose; resolves to `{ issuer, server }`.
 * `configuration` is oidc-provider's (clients, scopes, features), without `jwks`: the
 * signing key is added here. With `rfc8414: true` the RFC 8414 metadata path is served with
 * the OpenID discovery document, the only one oidc-provider publishes: RFC 8414 §5 makes the
 * two compatible, and a program that reads only RFC 8414 metadata (our API) needs it.
 */
export async function startOidcProvider(configuration, { rfc8414 = false } = {}) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await jose.exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'interop-rs256' };
  const provider = new Provider(issuer, { jwks: { keys: [signingKey] }, ...configuration });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    if (rfc8414 && request.url === '/.well-known/oauth-authorization-server') {
      request.url = '/.well-known/openid-configuration';
    }
    callback(request, response);
  });
  return { issuer, server };
}

/**
 * Starts `binary` with `env` (on top of this process's environment, with `DOTENV=off` and
 * `RUST_LOG=info`); resolves with the child once it printed `ready`, rejects with what it
 * printed if it exits first.
 */
export async function spawnUntilReady(binary, env, ready) {
  const child = spawn(binary, [], {
    env: { ...process.env, DOTENV: 'off', RUST_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  await new Promise((resolve, reject) => {
    const watch = (chunk) => {
      printed += chunk;
      if (printed.includes(ready)) resolve();
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('exit', (code) => reject(new Error(`${binary} exited (${code}): ${printed}`)));
  });
  return child;
}
