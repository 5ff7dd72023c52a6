"""``apilab usage``: totals from the ledger, filters, JSON, clean errors."""

from __future__ import annotations

import datetime as dt
import json
import time

from typer.testing import CliRunner

from apilab.cli import app
from apilab.cli.usage import parse_since
from apilab.settings import get_settings
from apilab.storage import ledger
from apilab.storage.db import open_database

runner = CliRunner()


def _row(lab: str, cost: str, status: str = "ok", days_ago: int = 0) -> dict[str, object]:
    return {"call_id": f"call_{lab}_{cost}", "seq": 0, "lab": lab, "provider": "openai",
            "model": "gpt-4o-mini", "answered_by": "openai:gpt-4o-mini", "status": status,
            "streamed": True, "attempt_count": 2, "retry_count": 1, "tokens_in": 100,
            "tokens_out": 20, "cost_usd": cost, "cost_est_usd": "0.01", "cache_hit": False,
            "fallback_used": False, "purpose": "conversation", "detail": {},
            "created_at": dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)}


def _seed() -> None:
    db = open_database(get_settings().db_url)
    with db.session() as session:
        ledger.add_call(session, _row("api-basics", "0.001"), [])
        ledger.add_call(session, _row("api-basics", "0.002", status="error"), [])
        ledger.add_call(session, _row("rate-limits-cost", "0.004", days_ago=10), [])


def test_usage_json_totals_and_filters() -> None:
    _seed()
    result = runner.invoke(app, ["usage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"]["calls"] == 3 and data["total"]["cost_usd"] == "0.007"
    assert data["total"]["retries"] == 3 and data["total"]["errors"] == 1
    lab = json.loads(runner.invoke(app, ["usage", "--json", "--lab", "api-basics"]).stdout)
    assert lab["total"]["calls"] == 2
    recent = json.loads(runner.invoke(app, ["usage", "--json", "--since", "7d"]).stdout)
    assert recent["total"]["calls"] == 2
    by_lab = json.loads(runner.invoke(app, ["usage", "--json", "--by", "lab"]).stdout)
    assert set(by_lab["groups"]) == {"api-basics", "rate-limits-cost"}


def test_usage_table_and_empty_ledger() -> None:
    empty = runner.invoke(app, ["usage"])
    assert empty.exit_code == 0 and "No calls through the call layer" in empty.output
    assert "No requests to the built-in sandbox" in empty.output
    _seed()
    table = runner.invoke(app, ["usage"])
    assert table.exit_code == 0 and "openai:gpt-4o-mini" in table.output
    assert "total" in table.output


def test_bad_since_is_exit_2_with_a_message() -> None:
    result = runner.invoke(app, ["usage", "--since", "yesterday-ish"])
    assert result.exit_code == 2 and "--since must be" in result.output


def test_parse_since_relative() -> None:
    now = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    assert parse_since("24h", now) == now - dt.timedelta(days=1)
    assert parse_since("2026-11-01") == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _audit(db, owner: str | None, requests: int, status: int = 200) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys
    from apilab.storage import sandbox as repo

    key_id = None
    if owner is not None:
        key_id = keys.create_key(db, name=f"k {owner}", owner=owner)[0].id
    with db.session() as session:
        repo.add_audit_rows(session, [
            {"key_id": key_id, "request_id": f"req_{owner}_{i}", "api": "openai",
             "model": "gpt-4o-mini", "status": status, "input_tokens": 10, "output_tokens": 5,
             "cost_usd": "0.0001"} for i in range(requests)])


def test_workbench_and_drill_requests_are_shown_by_source(client) -> None:  # type: ignore[no-untyped-def]
    # A real workbench send through the lab server: the sandbox records it under the lab key.
    sent = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                       json={"style": "openai", "model": "gpt-4o-mini", "stream": False,
                             "max_tokens": 20, "user": "Say hello."})
    assert sent.status_code == 200, sent.text
    db = client.app.state.db
    from apilab.storage import sandbox as repo

    deadline = time.monotonic() + 5  # the sandbox writes its audit log in batches (0.2 s)
    while time.monotonic() < deadline:
        with db.session() as session:
            if repo.audit_totals(session):
                break
        time.sleep(0.05)
    _audit(db, "apilab-workbench", 3, status=429)
    _audit(db, "drill:local", 4)
    _audit(db, "my-team", 2)
    data = json.loads(runner.invoke(app, ["usage", "--json"]).stdout)
    groups = data["sandbox"]["groups"]
    assert groups["workbench (lab key)"]["requests"] == 1
    assert groups["workbench scenarios"] == {**groups["workbench scenarios"], "requests": 3,
                                             "errors": 3}
    assert groups["leak drill"]["requests"] == 4
    assert groups["your sandbox keys"]["requests"] == 2
    assert data["sandbox"]["total"]["requests"] == 10
    # The table says so too (the offline tutor itself made no calls), and where the rest is.
    text = runner.invoke(app, ["usage"]).output
    assert "No calls through the call layer" in text
    assert "leak drill" in text and "workbench scenarios" in text
    assert "apilab sandbox keys usage KEY_ID" in text
    # --lab keeps one lab's features only.
    lab = json.loads(runner.invoke(app, ["usage", "--json", "--lab", "key-security"]).stdout)
    assert set(lab["sandbox"]["groups"]) == {"leak drill"}


def test_usage_by_source_names_the_assistant() -> None:
    _seed()
    data = json.loads(runner.invoke(app, ["usage", "--json", "--by", "source"]).stdout)
    assert set(data["groups"]) == {"assistant"}
