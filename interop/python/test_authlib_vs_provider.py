"""Authlib 1.9.9 (with joserfc 1.8) signs in at our provider, the real binary.

A second Relying Party we did not write, beside node/openid-client-vs-provider.test.mjs, and
built from Authlib's own OpenID Connect client code (its `OAuth2Mixin` and `OpenIDMixin`, on
the requests `OAuth2Session`, as its Flask and Django integrations use them):

1. Discovery 1.0 §4: the metadata from `/.well-known/openid-configuration`.
2. Core 1.0 §3.1.2: code + PKCE (RFC 7636, S256) + `state` + `nonce`; a browser (a requests
   session with its cookies) signs in and approves on the provider's own pages.
3. Core 1.0 §3.1.3: the code exchange; Authlib parses and validates the ID token
   (§3.1.3.7: signature by `kid` from `jwks_uri`, `iss`, `aud`, `azp`, `exp`, `iat`,
   `nonce`, `at_hash`).
4. Core 1.0 §5.3: UserInfo, with the same `sub`.
5. Core 1.0 §12.2: a refresh returns a new ID token, same `sub` and `auth_time`.
6. RP-Initiated Logout 1.0: Authlib's `create_logout_url`, followed back with `state`.

Run by interop/run.sh, which builds the provider and names it in PROVIDER_BIN:

    PROVIDER_BIN=target/debug/provider \
        interop/python/.venv/bin/python -m unittest discover -s interop/python -v
"""

import base64
import html
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import unittest
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session

# The demo client and user of the provider's defaults (provider/src/config.rs).
CLIENT_ID = "testclient"
CLIENT_SECRET = "testsecret"
REDIRECT_URI = "http://localhost:3000/callback"
POST_LOGOUT_REDIRECT_URI = "http://localhost:3000/logged-out"
USERNAME = "demo"
PASSWORD = "demo"


def free_port():
    """A port the OS says is free on 127.0.0.1, closed again for the provider to bind."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Provider:
    """The provider binary on a free port, its `ISSUER` that address (Discovery 1.0 §4.3:
    the metadata's `issuer` must be the URL the Relying Party asked). No `.env` is read."""

    MARKER = "provider listening on http://"

    def __init__(self):
        binary = os.environ.get("PROVIDER_BIN")
        if not binary:
            raise unittest.SkipTest("PROVIDER_BIN must name the provider binary (interop/run.sh sets it)")
        port = free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        # A directory of its own: the provider may write its generated signing keys there.
        self.dir = tempfile.TemporaryDirectory(prefix="interop-provider-")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DOTENV": "off",
            "PROVIDER_BIND": f"127.0.0.1:{port}",
            "ISSUER": self.issuer,
            "RATE_LIMIT": "off",
            "WORKERS": "1",
            "POST_LOGOUT_REDIRECT_URI": POST_LOGOUT_REDIRECT_URI,
            "RUST_LOG": "info",
        }
        self.process = subprocess.Popen(
            [binary],
            cwd=self.dir.name,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.printed = []
        for line in self.process.stdout:
            self.printed.append(line)
            if self.MARKER in line:
                break
        else:
            raise RuntimeError("the provider exited before listening:\n" + "".join(self.printed))
        # Keep reading, so the provider never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stdout:
            self.printed.append(line)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.dir.cleanup()


class NoStorage(FrameworkIntegration):
    """Where a web framework would keep a refreshed token (the user's session): here the
    test keeps it itself."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class RelyingParty(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's framework-independent OpenID Connect client, on requests."""

    client_cls = OAuth2Session


def jose_header(jws):
    """The JOSE header of a compact JWS (RFC 7515 §7.1), decoded, not verified."""
    part = jws.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def hidden_fields(page):
    """The hidden inputs a browser would send back (`csrf_token`, `request_id`)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = html.unescape(value.group(1) if value else "")
    return fields


class Browser:
    """The user agent of RFC 6749 §1.2: cookies kept, redirects followed one by one."""

    def __init__(self):
        self.http = requests.Session()

    def walk(self, url, stop_at, on_page):
        """Follows redirects from `url` until one leaves for `stop_at` (returned, not visited);
        `on_page(url, response)` answers each page with the next response."""
        response = self.http.get(url, allow_redirects=False)
        for _ in range(10):
            location = response.headers.get("location")
            if location:
                url = urljoin(url, location)
                if url.startswith(stop_at):
                    return url
                response = self.http.get(url, allow_redirects=False)
            else:
                url, response = on_page(url, response)
        raise AssertionError(f"no redirect to {stop_at} after 10 hops")

    def sign_in(self, url, stop_at):
        """Signs in on the login form and approves on the consent form."""

        def on_page(url, response):
            fields = hidden_fields(response.text)
            if 'name="password"' in response.text:
                target = urljoin(url, "/login")
                fields.update(username=USERNAME, password=PASSWORD)
            elif 'name="decision"' in response.text:
                target = urljoin(url, "/oauth/authorize")
                fields.update(decision="approve")
            else:
                raise AssertionError(f"{response.status_code} at {url}, neither login nor consent:\n{response.text}")
            return target, self.http.post(target, data=fields, allow_redirects=False)

        return self.walk(url, stop_at, on_page)

    def sign_out(self, url, stop_at):
        """Follows a logout URL; a confirmation form, if the provider shows one, is submitted
        as shown (its hidden fields and its first named submit button)."""

        def on_page(url, response):
            form = re.search(r'<form[^>]*method="post"[^>]*>(.*?)</form>', response.text, re.S | re.I)
            if not form:
                raise AssertionError(f"{response.status_code} at {url}, no redirect and no form:\n{response.text}")
            action = re.search(r'action="([^"]*)"', form.group(0))
            target = urljoin(url, html.unescape(action.group(1)) if action else url)
            fields = hidden_fields(form.group(1))
            button = re.search(r'<button[^>]*name="([^"]*)"[^>]*value="([^"]*)"', form.group(1))
            if button:
                fields[button.group(1)] = button.group(2)
            return target, self.http.post(target, data=fields, allow_redirects=False)

        return self.walk(url, stop_at, on_page)


class AuthlibAgainstProviderTest(unittest.TestCase):
    """The steps run in order (unittest sorts by name: test_1..., test_2...), as one sign-in."""

    flow = {}

    @classmethod
    def setUpClass(cls):
        cls.provider = Provider()
        cls.rp = RelyingParty(
            NoStorage("provider"),
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            server_metadata_url=f"{cls.provider.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
        )
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.provider.stop()

    def need(self, key):
        if key not in self.flow:
            self.fail(f"an earlier step did not leave {key!r}")
        return self.flow[key]

    def test_1_discovery_finds_the_issuer_the_endpoints_rs256_and_es256(self):
        metadata = self.rp.load_server_metadata()
        self.assertEqual(metadata["issuer"], self.provider.issuer)
        for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            self.assertTrue(metadata[endpoint].startswith(self.provider.issuer), endpoint)
        self.assertEqual(metadata["id_token_signing_alg_values_supported"], ["RS256", "ES256"])
        self.assertIn("openid", metadata["scopes_supported"])

    def test_2_the_code_flow_with_pkce_state_and_nonce_gives_an_id_token_authlib_validates(self):
        request = self.rp.create_authorization_url(REDIRECT_URI)
        self.assertIn("nonce", request, "Authlib sends a nonce for an openid scope")
        callback = self.browser.sign_in(request["url"], REDIRECT_URI)

        answer = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
        # What the framework integrations check before the exchange: the `state` (RFC 6749
        # §10.12), and the `iss` of the response (RFC 9207 §2.4).
        self.assertEqual(answer.get("state"), request["state"])
        self.assertEqual(answer.get("iss"), self.provider.issuer)
        token = self.rp.fetch_access_token(
            REDIRECT_URI, code=answer["code"], code_verifier=request["code_verifier"]
        )
        self.assertIn("id_token", token)
        # The algorithm the demo client registered (CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG).
        self.assertEqual(jose_header(token["id_token"])["alg"], "ES256")
        claims = self.rp.parse_id_token(token, nonce=request["nonce"])
        self.assertEqual(claims["iss"], self.provider.issuer)
        self.assertEqual(claims["aud"], CLIENT_ID)
        self.assertEqual(claims["nonce"], request["nonce"])
        self.assertIn("at_hash", claims)
        self.assertIsInstance(claims["auth_time"], int)
        self.flow.update(token=token, claims=claims, id_token=token["id_token"])

    def test_3_a_wrong_nonce_is_refused_by_authlib(self):
        # The library does check: the same ID token, a nonce this sign-in never sent.
        token = self.need("token")
        with self.assertRaises(Exception):
            self.rp.parse_id_token(token, nonce="not-the-nonce-that-was-sent")

    def test_4_userinfo_answers_the_same_sub_with_profile_and_email_claims(self):
        token, claims = self.need("token"), self.need("claims")
        userinfo = self.rp.userinfo(token=token)
        self.assertEqual(userinfo["sub"], claims["sub"])
        for claim in ("name", "preferred_username", "email"):
            self.assertIsInstance(userinfo[claim], str, claim)
        self.assertIsInstance(userinfo["email_verified"], bool)

    def test_5_a_refresh_gives_a_new_id_token_with_the_same_sub_and_auth_time(self):
        token, claims = self.need("token"), self.need("claims")
        metadata = self.rp.load_server_metadata()
        with self.rp._get_oauth_client(**metadata) as session:
            refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        self.assertIn("id_token", refreshed, "a refresh of an openid grant returns an ID token")
        self.assertNotEqual(refreshed["id_token"], token["id_token"])
        # Core §12.2: no nonce is sent on a refresh, so none is expected.
        new_claims = self.rp.parse_id_token(refreshed, nonce=None)
        self.assertEqual(new_claims["sub"], claims["sub"])
        self.assertEqual(new_claims["auth_time"], claims["auth_time"])
        self.flow["id_token"] = refreshed["id_token"]

    # RP-Initiated Logout 1.0: its own case, so the rest of the suite stands without it.
    def test_6_the_logout_url_authlib_builds_ends_the_session_and_returns_with_state(self):
        id_token = self.need("id_token")
        logout = self.rp.create_logout_url(
            post_logout_redirect_uri=POST_LOGOUT_REDIRECT_URI, id_token_hint=id_token
        )
        back = urlsplit(self.browser.sign_out(logout["url"], POST_LOGOUT_REDIRECT_URI))
        self.assertEqual(f"{back.scheme}://{back.netloc}{back.path}", POST_LOGOUT_REDIRECT_URI)
        self.assertEqual(parse_qs(back.query).get("state"), [logout["state"]])

        # The provider session is over: prompt=none now answers login_required (Core §3.1.2.1).
        silent = self.rp.create_authorization_url(REDIRECT_URI, prompt="none")
        response = self.browser.http.get(silent["url"], allow_redirects=False)
        answer = parse_qs(urlsplit(response.headers["location"]).query)
        self.assertEqual(answer.get("error"), ["login_required"])


if __name__ == "__main__":
    unittest.main()
