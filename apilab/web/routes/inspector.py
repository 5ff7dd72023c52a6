"""Routes: the API inspector, ``GET /api/inspector/{message_id}``.

For a model reply: every call the reply made (tool rounds), each with the
request as sent (key already redacted by the adapter), the response body or
the stream events, estimated vs actual tokens, cost (reserved vs settled),
time to first token, every attempt with status, cause and wait, and the
fallback taken. For an offline reply: what the tutor did in-process, from
``Message.meta``. Every string is passed through the secret redactor once more
on the way out (defence in depth). Learners only see their own replies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from apilab.calls.writer import flush_ledger
from apilab.errors import InvalidInputError, NotFoundError
from apilab.storage import ledger
from apilab.storage.models.lab import Learner
from apilab.strictjson import MAX_INT
from apilab.web.identity import current_learner

router = APIRouter()


# Fields holding text that came from outside (requests, provider responses, errors, tool
# output). Our own figures (token methods, ids, times) are left alone: a scanner's generic
# high-entropy rule would otherwise mangle them.
_FREE_TEXT = {"request", "response", "events", "error", "cause", "reason", "notes", "meta",
              "tool_calls", "offline", "fallbacks"}


def _redact_all(value: Any) -> Any:
    """Every string in a JSON-like value with secrets redacted."""
    if isinstance(value, str):
        try:
            from apilab.secretscan import redact_text
        except ImportError:  # pragma: no cover - the scanner ships with apilab
            return value
        return redact_text(value)[0] if len(value) >= 16 else value
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    return value


def _redact_view(value: Any) -> Any:
    """Redact the free-text fields of the view, wherever they are nested."""
    if isinstance(value, dict):
        return {k: _redact_all(v) if k in _FREE_TEXT else _redact_view(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_view(v) for v in value]
    return value


def _call_view(row: dict[str, Any]) -> dict[str, Any]:
    detail = row.get("detail") or {}
    return {
        "seq": row["seq"],
        "created_at": row["created_at"],
        "provider": row["provider"],
        "model": row["model"],
        "answered_by": row["answered_by"],
        "status": row["status"],
        "error": row["error"],
        "request_id": row["request_id"],
        "streamed": row["streamed"],
        "request": detail.get("request"),
        "response": detail.get("response"),
        "events": detail.get("events"),
        "finish_reason": detail.get("finish_reason"),
        "tool_calls": detail.get("tool_calls") or [],
        "tokens": {
            "estimated_input": row["tokens_in_est"],
            "max_output": row["tokens_out_max"],
            "method": row["token_method"],
            "input": row["tokens_in"],
            "output": row["tokens_out"],
            "cached_input": row["tokens_cached"],
            "exact": row["usage_exact"],
        },
        "cost": {"reserved_usd": row["cost_est_usd"], "actual_usd": row["cost_usd"]},
        "ttft_ms": row["ttft_ms"],
        "latency_ms": row["latency_ms"],
        "cache_hit": row["cache_hit"],
        "fallback_used": row["fallback_used"],
        "fallbacks": detail.get("fallbacks") or [],
        "budget": detail.get("budget") or {},
        "notes": detail.get("notes") or [],
        "attempts": row["attempts"],
    }


def inspect_message(db: Any, handle: str, message_id: int) -> dict[str, Any]:
    """The inspector's view of one assistant reply (see the module docstring)."""
    with db.session() as session:
        message = ledger.get_message(session, message_id)
        owner = session.get(Learner, message.learner_id) if message is not None else None
        if message is None or owner is None or owner.handle != handle:
            raise NotFoundError(f"No reply with id {message_id}.")
        if message.role != "assistant":
            raise InvalidInputError("Only assistant replies can be inspected; this is the "
                                    "learner's own message.")
        if message.call_id:
            # Read-your-writes: this reply's ledger rows may still sit in this process's
            # write-behind queue (calls/writer.py); store them before reading.
            flush_ledger(db, message.call_id)
        rows = ledger.list_calls(session, call_id=message.call_id) if message.call_id else []
        calls = [_call_view(ledger.call_to_dict(r)) for r in rows]
        meta = dict(message.meta or {})
        view: dict[str, Any] = {
            "message_id": message.id,
            "lab": message.lab_id,
            "status": message.status,
            "backend": message.backend,
            "call_id": message.call_id,
            "kind": "model" if calls else "offline",
            "calls": calls,
            "meta": meta,
        }
    if calls:
        view["totals"] = {
            "calls": len(calls),
            "attempts": sum(len(c["attempts"]) for c in calls),
            "tokens_in": sum(c["tokens"]["input"] or 0 for c in calls),
            "tokens_out": sum(c["tokens"]["output"] or 0 for c in calls),
            "cost_usd": str(sum((_dec(c["cost"]["actual_usd"]) for c in calls), _dec("0"))),
            "ttft_ms": calls[0]["ttft_ms"],
        }
    else:
        view["offline"] = {
            "note": "Answered in-process by the offline tutor: no API call, no tokens, no cost.",
            "tools_used": meta.get("tools_used", []),
            "timing_ms": meta.get("timing_ms", {}),
            "retrieval": _retrieval_rows(meta),
            "details": {k: v for k, v in meta.items() if k not in ("tools_used", "timing_ms")},
        }
    return _redact_view(view)  # type: ignore[no-any-return]


def _retrieval_rows(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The tutor's retrieval hits as table rows: which card, what it answers, why it matched.

    ``meta["retrieval"]`` holds this lab's candidates and ``meta["other_labs"]`` the close
    ones from other labs; the card's first question says what it answers (cards have no
    title). Raw values stay in ``details`` for the JSON view.
    """
    from apilab.content import load_course

    about = {card.id: card.questions[0] for card in load_course().cards}
    chosen = meta.get("card")
    rows = []
    groups = (("this lab", meta.get("retrieval")), ("other lab", meta.get("other_labs")))
    for source, hits in groups:
        for hit in hits if isinstance(hits, list) else []:
            if not isinstance(hit, dict):
                continue
            doc = str(hit.get("doc", ""))
            card = doc.removeprefix("card:") if doc.startswith("card:") else None
            rows.append({
                "doc": doc, "card": card, "about": about.get(card or "", ""),
                "lab": hit.get("lab"), "where": source, "chosen": card is not None
                and card == chosen, "matched": list(hit.get("matched") or []),
                "confidence": hit.get("confidence"), "semantic": hit.get("semantic"),
            })
    return rows


def _dec(text: str | None) -> Any:
    from decimal import Decimal

    return Decimal(text or "0")


@router.get("/api/inspector/{message_id}")
async def inspector(
    request: Request,
    message_id: Annotated[int, Path(ge=1, le=MAX_INT, description="An assistant reply's id.")],
) -> dict[str, Any]:
    """What happened behind one assistant reply: requests, attempts, tokens, cost."""
    handle = current_learner(request)
    return await run_in_threadpool(inspect_message, request.app.state.db, handle, message_id)
