"""Routes: ``/api/docs``, the HTTP API reference rendered from the app's OpenAPI document.

FastAPI's Swagger UI loads its JavaScript and CSS from a CDN, which a lab that
must run offline (and a strict Content-Security-Policy) cannot allow. This page
lists every operation, its summary and its request fields from ``/openapi.json``
with no script at all. ``APILAB_API_DOCS=false`` turns it off (404).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from apilab.content import load_course
from apilab.errors import NotFoundError
from apilab.web.templating import context, templates

router = APIRouter()

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    schemas = spec.get("components", {}).get("schemas", {})
    rows = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            fields: list[dict[str, str]] = []
            ref = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                   .get("schema", {}).get("$ref", ""))
            model = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
            for name, prop in model.get("properties", {}).items():
                fields.append({"name": name, "type": str(prop.get("type", "")),
                               "description": str(prop.get("description", ""))})
            rows.append({"method": method.upper(), "path": path,
                         "summary": op.get("summary", ""),
                         "description": (op.get("description") or "").split("\n\n")[0],
                         "fields": fields})
    return rows


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
async def api_docs(request: Request) -> HTMLResponse:
    """Every lab API operation with its summary and JSON fields."""
    if not request.app.state.settings.api_docs:
        raise NotFoundError("The API reference is turned off on this server (APILAB_API_DOCS).")
    return templates.TemplateResponse(
        request, "apidocs.html",
        context(request, course=load_course(), operations=_operations(request.app.openapi()),
                nav="api"),
    )
