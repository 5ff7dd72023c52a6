"""A local LTI 1.3 platform for tests: signs launches, serves its JWKS, takes grades.

No real LMS is reachable from here, so this plays one: an RSA key pair and a JWKS
endpoint, an OAuth2 client-credentials token endpoint that *verifies* the tool's
signed client assertion against the tool's published JWKS, and an AGS scores
endpoint that records what it receives (and refuses a wrong bearer token). It
listens on 127.0.0.1 on a free port, in a thread.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://lms.example.test"
CLIENT_ID = "apilab-tool"
DEPLOYMENT = "dep-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def new_key() -> tuple[Any, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return key, pem


class Platform:
    """The simulated LMS. ``tool_jwks`` must return the tool's JWKS (set by the test)."""

    def __init__(self) -> None:
        self.key, self.pem = new_key()
        self.kid = "platform-" + secrets.token_hex(4)
        self.scores: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.tool_jwks: Any = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the tool is configured with --------------------------------------------
    def registration(self) -> dict[str, Any]:
        return {ISSUER: [{
            "default": True, "client_id": CLIENT_ID,
            "auth_login_url": self.url + "/auth", "auth_token_url": self.url + "/token",
            "key_set_url": self.url + "/jwks", "key_set": None,
            "deployment_ids": [DEPLOYMENT]}]}

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    # --- a launch -----------------------------------------------------------------------
    def login_params(self, target: str) -> dict[str, str]:
        return {"iss": ISSUER, "login_hint": "user-hint", "target_link_uri": target,
                "lti_message_hint": "msg-hint", "client_id": CLIENT_ID}

    def id_token(self, auth_query: str, *, sub: str, roles: list[str],
                 message_type: str = "LtiResourceLinkRequest", lab: str | None = None,
                 key: Any = None, context_id: str = "course-7", **extra: Any) -> str:
        """Answer the tool's auth redirect like an LMS: a signed id_token for its nonce."""
        query = dict(urllib.parse.parse_qsl(auth_query))
        assert query["client_id"] == CLIENT_ID and query["response_mode"] == "form_post"
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
            "nonce": query["nonce"], "name": extra.pop("name", "Ada Learner"),
            CLAIM + "deployment_id": DEPLOYMENT, CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0", CLAIM + "roles": roles,
            CLAIM + "context": {"id": context_id, "label": "CS101", "title": "Intro to AI APIs"},
            CLAIM + "target_link_uri": query["redirect_uri"],
        }
        if message_type == "LtiResourceLinkRequest":
            body[CLAIM + "resource_link"] = {"id": "rl-" + (lab or "none")}
            if lab:
                body[CLAIM + "custom"] = {"lab": lab}
            body[AGS] = {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                          "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitem": f"{self.url}/lineitems/{lab}/lineitem"}
        else:
            body[DL] = {"deep_link_return_url": self.url + "/deep-link-return",
                        "accept_types": ["ltiResourceLink"],
                        "accept_presentation_document_targets": ["window"], "data": "opaque"}
        body.update(extra)
        return jwt.encode(body, key or self.key, algorithm="RS256",
                          headers={"kid": self.kid})

    # --- the HTTP side --------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, data: Any) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/jwks":
                    self._json(200, platform.jwks())
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                if self.path == "/token":
                    form = dict(urllib.parse.parse_qsl(self._body().decode()))
                    platform.token_requests.append(form)
                    try:
                        claims = platform.verify_assertion(form["client_assertion"])
                    except Exception as exc:  # noqa: BLE001 - the tool gets a 401
                        self._json(401, {"error": "invalid_client", "detail": str(exc)})
                        return
                    assert claims["iss"] == CLIENT_ID
                    token = secrets.token_hex(16)
                    platform.tokens.add(token)
                    self._json(200, {"access_token": token, "token_type": "Bearer",
                                     "expires_in": 3600, "scope": form.get("scope", "")})
                elif self.path.endswith("/scores"):
                    auth = self.headers.get("Authorization", "")
                    if auth.removeprefix("Bearer ") not in platform.tokens:
                        self._json(401, {"error": "bad token"})
                        return
                    score = json.loads(self._body())
                    score["_lineitem"] = self.path.removesuffix("/scores")
                    score["_content_type"] = self.headers.get("Content-Type")
                    platform.scores.append(score)
                    self._json(200, {})
                else:
                    self._json(404, {"error": "not found"})

        return Handler

    def verify_assertion(self, assertion: str) -> dict[str, Any]:
        """Check the tool's client assertion against the tool's published JWKS."""
        header = jwt.get_unverified_header(assertion)
        keys = {k["kid"]: k for k in (self.tool_jwks() or {}).get("keys", [])}
        key = RSAAlgorithm.from_jwk(json.dumps(keys[header["kid"]]))
        return jwt.decode(assertion, key, algorithms=["RS256"], audience=self.url + "/token")


def deep_link_items(token: str, tool_jwks: dict[str, Any]) -> list[dict[str, Any]]:
    """Verify a deep-linking response JWT with the tool's JWKS; its content items."""
    header = jwt.get_unverified_header(token)
    keys = {k["kid"]: k for k in tool_jwks["keys"]}
    key = RSAAlgorithm.from_jwk(json.dumps(keys[header["kid"]]))
    body = jwt.decode(token, key, algorithms=["RS256"], audience=ISSUER)
    assert body[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    return body["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]


def unique_sub() -> str:
    return "user-" + uuid.uuid4().hex[:8]
