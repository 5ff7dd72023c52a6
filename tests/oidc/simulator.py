"""A local OpenID Connect provider for tests: discovery, JWKS, authorize and token endpoints.

No real identity provider is reachable from here, so this plays one, strictly: an
RSA key pair and its JWKS, a discovery document, an authorization endpoint that
consents at once (for a browser) or ``authorize()`` for an in-process client, and a
token endpoint that checks the client's secret (HTTP Basic), the PKCE verifier
against the S256 challenge, the redirect URI, and that a code is used once and
within ``code_ttl_s``. ID tokens are signed RS256 with ``at_hash``; ``claims`` (set by
a test) overrides any claim, and ``sign_with`` signs with another key. It listens on
127.0.0.1 on a free port, in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "apilab-test-client"
# A canary: it must reach the token endpoint and nowhere else (no log, page or header).
CANARY_SECRET = "canary-oidc-secret-7f3a9c0e5b1d"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """The simulated identity provider."""

    def __init__(self, *, secret: str = CANARY_SECRET) -> None:
        self.key = new_key()
        self.kid = "idp-" + secrets.token_hex(4)
        self.secret = secret
        self.codes: dict[str, dict[str, Any]] = {}
        self.issued: list[str] = []  # every code, access token and id token handed out
        self.token_requests: list[dict[str, Any]] = []
        self.claims: dict[str, Any] = {}  # overrides for the next ID tokens
        self.sign_with: Any = None
        self.code_ttl_s = 60.0
        self.discovery_extra: dict[str, Any] = {}
        self.logouts: list[dict[str, str]] = []  # query strings of /logout visits
        self.discovery_padding = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what apilab is configured with ------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"],
            "end_session_endpoint": self.issuer + "/logout",
        }
        doc.update(self.discovery_extra)
        if self.discovery_padding:
            doc["padding"] = "x" * self.discovery_padding
        return doc

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    # --- the person at the provider -----------------------------------------------------
    def authorize(self, url: str, *, sub: str = "user-1", email: str | None = "ada@example.edu",
                  name: str = "Ada Lovelace", deny: bool = False) -> str:
        """The person consents (or not): the callback URL the provider redirects to."""
        parts = urllib.parse.urlsplit(url)
        assert parts.geturl().startswith(self.issuer + "/authorize"), url
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert "openid" in query["scope"].split() and query["nonce"] and query["state"]
        back = {"state": query["state"]}
        if deny:
            back.update(error="access_denied", error_description="The user said no <b>")
        else:
            code = secrets.token_urlsafe(24)
            self.issued.append(code)
            self.codes[code] = {"query": query, "at": time.monotonic(), "used": False,
                                "person": {"sub": sub, "email": email, "name": name}}
            back["code"] = code
        return query["redirect_uri"] + "?" + urllib.parse.urlencode(back)

    # --- the token endpoint -------------------------------------------------------------
    def _token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({"headers": dict(headers), "form": dict(form)})
        auth = headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode() \
                .partition(":")
        except ValueError:
            user = password = ""
        if urllib.parse.unquote(user) != CLIENT_ID or \
                urllib.parse.unquote(password) != self.secret or "client_secret" in form:
            return 401, {"error": "invalid_client"}
        record = self.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or record is None \
                or record["used"] or time.monotonic() - record["at"] > self.code_ttl_s:
            return 400, {"error": "invalid_grant", "error_description": "code expired or used"}
        record["used"] = True
        query = record["query"]
        challenge = _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge != query["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE mismatch"}
        if form.get("redirect_uri") != query["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        access = secrets.token_urlsafe(32)
        now = int(time.time())
        person = record["person"]
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": person["sub"], "iat": now,
            "exp": now + 300, "nonce": query["nonce"], "name": person["name"],
            "at_hash": _b64(hashlib.sha256(access.encode()).digest()[:16])}
        if person["email"]:
            body.update(email=person["email"], email_verified=True)
        body.update(self.claims)
        body = {k: v for k, v in body.items() if v is not None}
        id_token = jwt.encode(body, self.sign_with or self.key, algorithm="RS256",
                              headers={"kid": self.kid})
        self.issued += [access, id_token]
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, data: Any) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(200, idp.discovery())
                elif path == "/jwks":
                    self._json(200, idp.jwks())
                elif path == "/logout":  # RP-initiated logout: back to the lab at once
                    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                    idp.logouts.append(query)
                    self.send_response(302)
                    self.send_header("Location", query.get("post_logout_redirect_uri", "/"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path == "/authorize":  # a browser: consent at once
                    target = idp.authorize(idp.issuer + self.path)
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    form = dict(urllib.parse.parse_qsl(raw.decode()))
                    self._json(*idp._token(self.headers, form))
                else:
                    self._json(404, {"error": "not found"})

        return Handler


def configured_provider(monkeypatch: Any) -> Iterator[Provider]:
    """A running simulator with apilab's OIDC settings pointing at it (for fixtures)."""
    from apilab.oidc import provider

    provider.forget()
    with Provider() as sim:
        monkeypatch.setenv("APILAB_OIDC_ISSUER", sim.issuer)
        monkeypatch.setenv("APILAB_OIDC_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("APILAB_OIDC_CLIENT_SECRET", CANARY_SECRET)
        monkeypatch.setenv("APILAB_OIDC_NAME", "Test University")
        yield sim
    provider.forget()
