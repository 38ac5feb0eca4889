// Our provider as a child process, and a browser that signs in at it, for the suites that put
// a Relying Party we did not write in front of it (openid-client-vs-provider.test.mjs).
//
// `spawnProvider()` starts the binary that PROVIDER_BIN names (interop/run.sh builds it with
// `cargo build -p provider`) on a port the OS chose, with `ISSUER` set to that address: OpenID
// Connect Discovery 1.0 §4.3 wants the `issuer` in the metadata to be exactly the URL the
// Relying Party discovered, so the two must agree. Nothing from a `.env` is read (DOTENV=off).
//
// `signIn()` plays the user agent of RFC 6749 §1.2 at the provider: it follows the provider's
// redirects with its own cookie jar, fills the login form (username, password, the hidden
// `csrf_token` and `request_id`) and approves on the consent form, and stops at the redirect
// back to the client's `redirect_uri`, which it returns without visiting.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The demo client and user of the provider's defaults (provider/src/config.rs). */
export const DEMO = {
  clientId: 'testclient',
  clientSecret: 'testsecret',
  redirectUri: 'http://localhost:3000/callback',
  postLogoutRedirectUri: 'http://localhost:3000/logged-out',
  username: 'demo',
  password: 'demo',
};

/** A port the OS says is free on 127.0.0.1 (closed again at once, for the provider to bind). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the provider binary; resolves to `{ issuer, stop(), output() }` once it printed
 * `provider listening on http://`. Extra settings in `settings` win over the defaults.
 */
export async function spawnProvider(settings = {}) {
  const binary = process.env.PROVIDER_BIN;
  if (!binary) {
    throw new Error('PROVIDER_BIN must name the provider binary (interop/run.sh sets it)');
  }
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // A directory of its own: the provider may write its generated signing keys there.
  const dir = mkdtempSync(join(tmpdir(), 'interop-provider-'));
  const child = spawn(binary, [], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DOTENV: 'off',
      PROVIDER_BIND: `127.0.0.1:${port}`,
      ISSUER: issuer,
      RATE_LIMIT: 'off',
      WORKERS: '1',
      POST_LOGOUT_REDIRECT_URI: DEMO.postLogoutRedirectUri,
      RUST_LOG: 'info',
      ...settings,
    },
  });
  let printed = '';
  const ready = new Promise((resolve, reject) => {
    const read = (chunk) => {
      printed += chunk;
      if (printed.includes('provider listening on http://')) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`the provider exited (${code}):\n${printed}`)));
  });
  await ready;
  return {
    issuer,
    output: () => printed,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of `<input ... name="NAME" ... value="...">` in `html`, if there is one. */
function hiddenInput(html, name) {
  for (const tag of html.match(/<input[^>]*>/g) ?? []) {
    if (tag.includes(`name="${name}"`)) {
      return tag.match(/value="([^"]*)"/)?.[1];
    }
  }
  return undefined;
}

/** A browser: one cookie jar (the provider's session), redirects followed by hand. */
export class Browser {
  cookies = new Map();

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  }

  async post(url, fields) {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  /**
   * Follows redirects from `url` until one leaves for `stopAt`, and returns that redirect's
   * URL without visiting it. A page (no redirect) goes to `onPage(url, html, status)`, which
   * submits a form and answers `[url posted to, response]`.
   */
  async walk(url, stopAt, onPage) {
    let response = await this.fetch(url);
    for (let hop = 0; hop < 10; hop += 1) {
      const location = response.headers.get('location');
      if (location) {
        url = new URL(location, url).href;
        if (url.startsWith(stopAt)) return url;
        response = await this.fetch(url);
      } else {
        [url, response] = await onPage(url, await response.text(), response.status);
      }
    }
    throw new Error(`no redirect to ${stopAt} after 10 hops`);
  }

  /**
   * Walks from `url` (an authorization request) through login and consent until a redirect
   * leaves for `stopAt`; returns that redirect's URL. Throws with the page when the provider
   * shows something else (an error page, say).
   */
  async signIn(url, stopAt, { username = DEMO.username, password = DEMO.password } = {}) {
    return this.walk(url, stopAt, async (url, html, status) => {
      // The hidden fields the page carries (`csrf_token`, `request_id`), sent back as a
      // browser would.
      const hidden = {};
      for (const name of ['csrf_token', 'request_id']) {
        const value = hiddenInput(html, name);
        if (value !== undefined) hidden[name] = value;
      }
      if (html.includes('name="password"')) {
        const target = new URL('/login', url).href;
        return [target, await this.post(target, { ...hidden, username, password })];
      }
      if (html.includes('name="decision"')) {
        const target = new URL('/oauth/authorize', url).href;
        return [target, await this.post(target, { ...hidden, decision: 'approve' })];
      }
      throw new Error(`${status} at ${url}, neither login nor consent:\n${html}`);
    });
  }

  /**
   * Follows an RP-Initiated Logout URL until a redirect leaves for `stopAt`; returns it. If
   * the provider asks to confirm (RP-Initiated Logout 1.0 §2 lets it), the confirmation form
   * is submitted as shown: its hidden fields and its first named button.
   */
  async signOut(url, stopAt) {
    return this.walk(url, stopAt, async (url, html, status) => {
      const form = html.match(/<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i);
      if (!form) {
        throw new Error(`${status} at ${url}, no redirect and no form:\n${html}`);
      }
      const action = form[0].match(/action="([^"]*)"/)?.[1] ?? url;
      const fields = {};
      let button;
      for (const tag of form[1].match(/<(input|button)[^>]*>/g) ?? []) {
        const name = tag.match(/name="([^"]*)"/)?.[1];
        const value = tag.match(/value="([^"]*)"/)?.[1] ?? '';
        if (!name) continue;
        if (tag.startsWith('<button') || /type="submit"/.test(tag)) button ??= [name, value];
        else if (/type="hidden"/.test(tag)) fields[name] = value;
      }
      if (button) fields[button[0]] = button[1];
      const target = new URL(action.replaceAll('&amp;', '&'), url).href;
      return [target, await this.post(target, fields)];
    });
  }
}
