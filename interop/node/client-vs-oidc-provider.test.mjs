// Our client (client/) as a Relying Party of an OpenID Provider we did not write: panva's
// `oidc-provider`, certified. A browser-less user agent (fetch, a cookie jar, the forms
// followed) signs in through oidc-provider's own login and consent pages; our client's home
// page then shows the ID token's `sub` and the `name` from UserInfo (OpenID Connect Core
// §3.1.3.7, §5.3.4); a refresh brings a new ID token our client accepts (§12.2); logout goes
// through oidc-provider's end_session_endpoint (RP-Initiated Logout 1.0 §2) and back.
//
// Run from the workspace root: `node --test interop/node/`, with CLIENT_BIN naming the client
// binary (`cargo build -p client`; interop/run.sh does both).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnUntilReady, startOidcProvider } from './support/oidc-provider.mjs';
import { freePort } from './support/provider.mjs';

const CLIENT_BIN = process.env.CLIENT_BIN;
const CLIENT_ID = 'oauth-flow-client';
const CLIENT_SECRET = 'a-secret-for-the-interop-test-only';
const SUBJECT = 'ada-1815';
const NAME = 'Ada Lovelace';

let issuer;
let clientUrl;
let authorizationServer;
let client;

// oidc-provider on a port the OS chose, with our client registered as it is configured:
// client_secret_basic, its redirect and post-logout URIs, PKCE (required by oidc-provider
// 9 for every client), one in-memory account, and its own development login and consent
// pages (devInteractions). oidc-provider issues a refresh token only for `offline_access`
// granted with `prompt=consent` unless `issueRefreshToken` says otherwise: it does here, for
// any client allowed the refresh_token grant.
async function startAuthorizationServer() {
  const started = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${clientUrl}/callback`],
        post_logout_redirect_uris: [`${clientUrl}/logged-out`],
      },
    ],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: SUBJECT, name: NAME, email: 'ada@example.org', email_verified: true };
        },
      };
    },
    issueRefreshToken: async (_ctx, oidcClient) => oidcClient.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  issuer = started.issuer;
  return started.server;
}

// Our client, as `cargo run -p client` starts it, pointed at oidc-provider. Resolves once it
// prints its "listening" line.
async function startClient(port) {
  assert.ok(CLIENT_BIN, 'CLIENT_BIN names the client binary: `cargo build -p client` (interop/run.sh sets it)');
  return spawnUntilReady(
    CLIENT_BIN,
    {
      CLIENT_BIND: `127.0.0.1:${port}`,
      AUTH_SERVER: issuer,
      CLIENT_ID,
      CLIENT_SECRET,
      REDIRECT_URI: `${clientUrl}/callback`,
      SCOPES: 'openid profile email offline_access',
    },
    'client listening on http://',
  );
}

// A browser without a window: one cookie jar (cookies do not care about ports, so the client's
// and oidc-provider's share it, as in a real browser on 127.0.0.1), no redirect following.
class UserAgent {
  jar = new Map();

  async request(url, { method = 'GET', form } = {}) {
    const headers = {};
    if (this.jar.size) headers.cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: response.status, location: response.headers.get('location'), url, text: await response.text() };
  }

  // Follows redirects (GET), resolving each Location against the page that sent it.
  async follow(page) {
    let current = page;
    for (let hops = 0; current.location && hops < 20; hops += 1) {
      current = await this.request(new URL(current.location, current.url).href);
    }
    return current;
  }

  // Submits the page's first POST form: its hidden inputs, plus `fields`.
  async submit(page, fields = {}) {
    const form = page.text.match(/<form[^>]*action="([^"]*)"[^>]*method="post"|<form[^>]*method="post"[^>]*action="([^"]*)"/i);
    assert.ok(form, `a form on ${page.url}:\n${page.text}`);
    const action = new URL((form[1] ?? form[2]).replaceAll('&amp;', '&'), page.url).href;
    const values = {};
    for (const input of page.text.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
      const name = input[0].match(/name="([^"]*)"/)?.[1];
      const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
      if (name) values[name] = value.replaceAll('&amp;', '&');
    }
    return this.follow(await this.request(action, { method: 'POST', form: { ...values, ...fields } }));
  }
}

const text = (html) => html.replace(/<[^>]*>/g, ' ').replaceAll('&quot;', '"').replaceAll('&#x27;', "'");

before(async () => {
  const clientPort = await freePort();
  clientUrl = `http://127.0.0.1:${clientPort}`;
  authorizationServer = await startAuthorizationServer();
  client = await startClient(clientPort);
});

after(async () => {
  client?.kill('SIGTERM');
  authorizationServer?.close();
  authorizationServer?.closeAllConnections();
});

test("our client signs in at oidc-provider, refreshes with its new ID token, and logs out through its end_session_endpoint", async () => {
  const browser = new UserAgent();

  // Sign in: /login → oidc-provider's login page → its consent page → /callback → /.
  const login = await browser.follow(await browser.request(`${clientUrl}/login`));
  assert.match(login.text, /name="login"/, `oidc-provider's login page:\n${login.text}`);
  const consent = await browser.submit(login, { login: SUBJECT, password: 'any' });
  const home = consent.text.includes('name="prompt" value="consent"') ? await browser.submit(consent) : consent;
  assert.equal(home.url, `${clientUrl}/`, home.text);
  assert.match(home.text, /<h1>Signed in/, home.text);
  assert.ok(home.text.includes(SUBJECT), `the ID token's sub on the page:\n${home.text}`);
  assert.ok(home.text.includes('from the ID token'), home.text);
  assert.ok(home.text.includes(NAME), `the name from UserInfo on the page:\n${home.text}`);

  // Refresh: oidc-provider answers with a new ID token, which our client checks against the
  // login's (same iss, sub, auth_time) and accepts.
  const csrf = home.text.match(/name="csrf_token" value="([^"]*)"/)[1];
  const refreshed = await browser.follow(await browser.request(`${clientUrl}/refresh`, { method: 'POST', form: { csrf_token: csrf } }));
  assert.ok(text(refreshed.text).includes('1 refresh(es) since login'), refreshed.text);
  assert.ok(refreshed.text.includes(SUBJECT), refreshed.text);
  const flow = await browser.request(`${clientUrl}/flow`);
  assert.ok(text(flow.text).includes('A new ID token came with the refresh'), 'the inspector shows the refreshed ID token');
  assert.ok(!text(flow.text).includes('✗ refused'), 'no check refused it');

  // Logout: our client revokes, then sends the browser to oidc-provider's end_session_endpoint,
  // whose confirmation form sends it back to /logged-out and on to /.
  const csrfOut = refreshed.text.match(/name="csrf_token" value="([^"]*)"/)[1];
  const out = await browser.request(`${clientUrl}/logout`, { method: 'POST', form: { csrf_token: csrfOut } });
  assert.ok(out.location?.startsWith(`${issuer}/`), `to oidc-provider's end_session_endpoint: ${out.location}`);
  const confirm = await browser.follow(out);
  const back = confirm.url.startsWith(clientUrl) ? confirm : await browser.submit(confirm, { logout: 'yes' });
  assert.equal(back.url, `${clientUrl}/`, back.text);
  assert.ok(text(back.text).includes('Signed out, here and at the provider'), back.text);
  assert.ok(!back.text.includes(SUBJECT), back.text);
});
