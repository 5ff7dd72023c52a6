"""The sandbox admin HTTP API: keys, usage, chaos profiles, limits, cache.

Mounted under ``/admin`` of the sandbox app (``/sandbox/admin/...`` inside the
lab server). Secrets appear only in the responses that create them (create,
rotate) and never in logs. Every request must pass ``guard``:

- a browser request from another site or origin is refused (403), and a request
  that changes state must be JSON (415): a web page the operator visits cannot
  create a key with a ``text/plain`` form post and read its secret;
- with ``APILAB_ADMIN_TOKEN`` set, ``Authorization: Bearer <token>`` is required;
- without it, the API answers only while the server is bound to loopback, and
  only to loopback peers (``testclient`` and other non-addresses are not).

    GET    /admin/keys                      list keys
    POST   /admin/keys                      create {name, models?, tier?, monthly_cap_usd?,
                                            owner?, rpm?, tpm?}
    GET    /admin/keys/{id}                 one key
    POST   /admin/keys/{id}/revoke          revoke
    POST   /admin/keys/{id}/rotate          revoke + create replacement
    GET    /admin/keys/{id}/usage?limit=N   audit log, newest first
    GET    /admin/chaos                     global and per-key profiles
    PUT    /admin/chaos                     {profile: name | {fields}, key_id?}
    DELETE /admin/chaos?key_id=ID           back to "off" (or clear a key's own profile)
    GET    /admin/chaos/profiles            presets
    GET    /admin/tiers                     tier presets
    GET    /admin/limits/{id}?model=M       current bucket state for a key and model
    POST   /admin/limits/reset              {key_id?} refill buckets
    POST   /admin/cache/clear               forget cached prompt prefixes
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from apilab.errors import ApilabError, InvalidInputError, NotFoundError
from apilab.origins import cross_site, is_json, is_loopback_bind, must_be_json, same_origin
from apilab.sandbox import keys

if TYPE_CHECKING:
    from apilab.sandbox.state import SandboxState

__all__ = ["build_admin_router"]


def _is_loopback(host: str | None) -> bool:
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False  # "testclient" and other non-addresses prove nothing


class _AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _AdminError(400, "The body must be a JSON object.") from exc
    if not isinstance(data, dict):
        raise _AdminError(400, "The body must be a JSON object.")
    return data


def build_admin_router(state: SandboxState, admin_token: str | None,
                       bind_host: str = "127.0.0.1") -> APIRouter:
    """The admin routes bound to one sandbox state (``bind_host``: where the server listens)."""
    loopback_bind = is_loopback_bind(bind_host)

    def guard(request: Request) -> None:
        origin = request.headers.get("origin")
        if cross_site(request.headers.get("sec-fetch-site")) or (
                origin is not None and not same_origin(origin, request.headers.get("host", ""))):
            raise _AdminError(403, "Admin API: cross-site requests are refused.")
        if must_be_json(request.method, request.headers.get("content-length"),
                        request.headers.get("transfer-encoding")) and not is_json(
                request.headers.get("content-type")):
            raise _AdminError(415, "Admin API: send JSON (Content-Type: application/json), "
                              "even with an empty body ({}).")
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if admin_token:
            if not given or not secrets.compare_digest(given.encode(), admin_token.encode()):
                raise _AdminError(
                    401, "Admin API: send Authorization: Bearer <APILAB_ADMIN_TOKEN>.")
            return
        if not loopback_bind:
            raise _AdminError(403, f"Admin API: this server listens on {bind_host}, beyond "
                              "loopback, so it requires APILAB_ADMIN_TOKEN (Authorization: "
                              "Bearer). Set it, or bind to 127.0.0.1.")
        host = request.client.host if request.client else None
        if not _is_loopback(host):
            raise _AdminError(403, "Admin API is only open to loopback clients while "
                              "APILAB_ADMIN_TOKEN is unset. Set it to allow remote admin.")

    router = APIRouter(prefix="/admin", dependencies=[Depends(guard)], tags=["admin"])
    db = state.db

    def ok(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status)

    @router.get("/keys")
    async def list_keys() -> JSONResponse:
        return ok({"keys": [k.to_dict() for k in keys.list_keys(db)]})

    @router.post("/keys")
    async def create_key(request: Request) -> JSONResponse:
        body = await _json(request)
        models = body.get("models")
        if models is not None and (not isinstance(models, list)
                                   or not all(isinstance(m, str) for m in models)):
            raise _AdminError(400, "'models' must be a list of model names.")
        for field in ("rpm", "tpm"):
            if body.get(field) is not None and (isinstance(body[field], bool)
                                                or not isinstance(body[field], int)):
                raise _AdminError(400, f"'{field}' must be a positive whole number.")
        record, secret = keys.create_key(
            db, name=str(body.get("name") or ""), models=models,
            tier=str(body.get("tier") or "tier-1"), monthly_cap_usd=body.get("monthly_cap_usd"),
            owner=body.get("owner"), rpm=body.get("rpm"), tpm=body.get("tpm"),
        )
        return ok({"key": record.to_dict(), "secret": secret,
                   "note": "The secret is shown only once; store it now."}, 201)

    @router.get("/keys/{key_id}")
    async def get_key(key_id: str) -> JSONResponse:
        return ok({"key": keys.get_key(db, key_id).to_dict()})

    @router.post("/keys/{key_id}/revoke")
    async def revoke_key(key_id: str) -> JSONResponse:
        return ok({"key": keys.revoke_key(db, key_id).to_dict()})

    @router.post("/keys/{key_id}/rotate")
    async def rotate_key(key_id: str) -> JSONResponse:
        record, secret = keys.rotate_key(db, key_id)
        return ok({"key": record.to_dict(), "secret": secret, "revoked": key_id,
                   "note": "The secret is shown only once; store it now."}, 201)

    @router.get("/keys/{key_id}/usage")
    async def key_usage(key_id: str, limit: int = 200) -> JSONResponse:
        limit = max(1, min(limit, 5000))
        entries = keys.key_usage(db, key_id, limit=limit)
        return ok({"key_id": key_id, "spent_this_month_usd": str(state.month_spend(key_id)),
                   "entries": [e.to_dict() for e in entries]})

    @router.get("/chaos")
    async def get_chaos() -> JSONResponse:
        return ok(state.chaos.describe())

    @router.put("/chaos")
    async def put_chaos(request: Request) -> JSONResponse:
        body = await _json(request)
        if "profile" not in body:
            raise _AdminError(400, "Send {\"profile\": \"flaky\"} or {\"profile\": {...fields}}"
                              ", optionally with \"key_id\".")
        profile = body["profile"]
        if profile is not None and not isinstance(profile, str | dict):
            raise _AdminError(400, "'profile' must be a preset name or an object of fields.")
        key_id = body.get("key_id")
        if key_id is not None:
            keys.get_key(db, str(key_id))
        result = state.chaos.set(profile, str(key_id) if key_id is not None else None)
        return ok({"key_id": key_id, "profile": result.as_dict() if result else None})

    @router.delete("/chaos")
    async def clear_chaos(key_id: str | None = None) -> JSONResponse:
        state.chaos.set(None, key_id)
        return ok(state.chaos.describe())

    @router.get("/chaos/profiles")
    async def chaos_profiles() -> JSONResponse:
        return ok({"profiles": {n: p.as_dict() for n, p in state.config.chaos_profiles.items()}})

    @router.get("/tiers")
    async def tiers() -> JSONResponse:
        return ok({"tiers": {n: t.as_dict() for n, t in state.config.tiers.items()}})

    @router.get("/limits/{key_id}")
    async def limits(key_id: str, model: str = "gpt-4o-mini") -> JSONResponse:
        from apilab.sandbox.catalogue import lookup_model
        from apilab.sandbox.service import Service

        record = keys.get_key(db, key_id)
        info = lookup_model(model)
        rpm, tpm = Service(state).limits_for(record)
        snap = state.limits.snapshot(f"{record.id}:{info.id}", rpm, tpm)
        return ok({"key_id": key_id, "model": info.id, "tier": record.tier,
                   "limit_requests": snap.limit_requests,
                   "remaining_requests": snap.remaining_requests,
                   "reset_requests_s": round(snap.reset_requests, 3),
                   "limit_tokens": snap.limit_tokens, "remaining_tokens": snap.remaining_tokens,
                   "reset_tokens_s": round(snap.reset_tokens, 3)})

    @router.post("/limits/reset")
    async def reset_limits(request: Request) -> JSONResponse:
        body = await _json(request)
        key_id = body.get("key_id")
        if key_id is None:
            state.limits.reset()
        else:
            from apilab.sandbox.catalogue import list_catalogue

            for _name, info in list_catalogue():
                state.limits.reset(f"{key_id}:{info.id}")
        return ok({"reset": key_id or "all"})

    @router.post("/cache/clear")
    async def clear_cache() -> JSONResponse:
        state.cache.clear()
        return ok({"cleared": True})

    return router


def admin_error_handlers() -> dict[type[Exception], Any]:
    """Exception handlers turning admin/engine errors into ``{"error": message}``."""

    async def admin_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, _AdminError)
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def apilab_error(_request: Request, exc: Exception) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400
        if isinstance(exc, InvalidInputError):
            status = 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    return {_AdminError: admin_error, ApilabError: apilab_error}
