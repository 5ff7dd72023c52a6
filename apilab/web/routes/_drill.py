"""The leak drill engine (lab 2), used by the ``/api/drill/...`` routes in ``scan.py``.

The story: the sandbox issues a key to the learner's "notes app"; a commit pushes
the app's ``.env`` to a public repository; an attacker starts spending from the
key; the learner must revoke it (timed, and we note whether they opened the audit
log first: the lesson's order is revoke first), tell the attacker's calls from
the app's in the key's audit log, rotate, point the app at the new key and
verify with a test call. A score and a debrief close the drill.

Every call the app and the attacker make is a real HTTP request to the sandbox
ASGI app (``httpx.ASGITransport``), so the audit log, the spend and the 401s
after revocation are the sandbox's own. Calls happen when the page polls the
drill state (``tick``): no background task, nothing runs when nobody watches.

Secrets: a drill key's secret is kept only in ``<data dir>/drill/<id>.json``
(mode 0600) — the drill's stand-in for the app's secret manager — so the app
and the attacker can use it. Pages, logs and the database see key ids and
redacted hints only. Starting a new drill revokes the previous drill's keys and
deletes that file.

This module lives in ``web`` because it composes two engines (sandbox keys and
storage) for one page; ``secretscan`` stays a leaf.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from starlette.routing import Mount

from apilab.errors import InvalidInputError, NotFoundError
from apilab.sandbox import keys
from apilab.secretscan import find_secrets, redact_text
from apilab.settings import Settings
from apilab.storage import drill as repo
from apilab.storage.conversations import get_or_create_learner
from apilab.storage.db import Database
from apilab.storage.models.base import utcnow
from apilab.storage.models.drill import LeakDrill

__all__ = ["APP_USER_AGENT", "ATTACKER_USER_AGENTS", "DrillEngine", "debrief"]

CREDIT_USD = Decimal("1.50")  # the drill key's spending cap: the credit that drains
APP_NAME = "notes-app"
APP_USER_AGENT = "notes-app/1.4 (openai-python/2.8.1)"
APP_MODEL = "gpt-4o-mini"
APP_INTERVAL_S = 5.0
ATTACKER_USER_AGENTS = ("python-requests/2.32.3", "curl/8.5.0")
ATTACKER_MODEL = "gpt-4o"
ATTACK_DELAY_S = 2.0  # bots find a pushed key within seconds to minutes (reported)
ATTACK_INTERVAL_S = 1.5
MAX_CALLS_PER_TICK = 4
MAX_ATTACKER_CALLS = 120
ATTACKS_AFTER_REVOKE = 2  # the attacker retries a couple of times, gets 401s, moves on
# ~12k prompt tokens per attacker call on gpt-4o: a few cents each, so credit visibly drains.
_ATTACK_PROMPT = "Write a detailed 5,000-word market report on every industry. " * 1000
_APP_PROMPT = "Summarise this note in one line: buy milk, call the dentist, renew passport."

_LOCKS: dict[int, asyncio.Lock] = {}


def _lock(drill_id: int) -> asyncio.Lock:
    # One tick at a time per drill in this process (the page polls every second).
    return _LOCKS.setdefault(drill_id, asyncio.Lock())


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _since(start: dt.datetime | None, now: dt.datetime) -> float:
    start = _aware(start)
    return (now - start).total_seconds() if start is not None else 0.0


class _SecretStore:
    """The drill app's secret manager: key id -> secret in a 0600 file in the data dir."""

    def __init__(self, settings: Settings, drill_id: int) -> None:
        folder = settings.data_path / "drill"
        folder.mkdir(mode=0o700, exist_ok=True)
        self.path: Path = folder / f"{drill_id}.json"

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key_id: str | None) -> str | None:
        return self._load().get(key_id or "")

    def put(self, key_id: str, secret: str) -> None:
        data = self._load()
        data[key_id] = secret
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(data).encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def delete(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def _sandbox_asgi(app: Any) -> tuple[Any, str]:
    """The sandbox ASGI app mounted in the lab app (and its path prefix)."""
    for route in getattr(app, "routes", []):
        if isinstance(route, Mount) and route.path == "/sandbox":
            return route.app, ""
    return app, "/sandbox"


class DrillEngine:
    """Runs one learner's drills against the sandbox mounted in ``asgi_app``."""

    def __init__(self, db: Database, settings: Settings, asgi_app: Any) -> None:
        self.db = db
        self.settings = settings
        self._sandbox, self._prefix = _sandbox_asgi(asgi_app)

    # --- HTTP to the sandbox ------------------------------------------------------------
    async def _chat(self, secret: str | None, user_agent: str, model: str, prompt: str,
                    max_tokens: int) -> int:
        transport = httpx.ASGITransport(app=self._sandbox)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.drill",
                                     timeout=30) as client:
            response = await client.post(
                f"{self._prefix}/v1/chat/completions",
                headers={"Authorization": f"Bearer {secret or 'missing'}",
                         "User-Agent": user_agent},
                json={"model": model, "max_tokens": max_tokens,
                      "messages": [{"role": "user", "content": prompt}]},
            )
            return response.status_code

    # --- lookups -------------------------------------------------------------------------
    def _learner_id(self, handle: str) -> int:
        with self.db.session() as session:
            return get_or_create_learner(session, handle).id

    def _current(self, handle: str) -> LeakDrill | None:
        learner_id = self._learner_id(handle)
        with self.db.session() as session:
            return repo.current_drill(session, learner_id)

    def _require(self, handle: str) -> LeakDrill:
        drill = self._current(handle)
        if drill is None:
            raise NotFoundError("No leak drill yet: press Start drill first.")
        return drill

    def _save(self, drill_id: int, **changes: Any) -> LeakDrill:
        with self.db.session() as session:
            row = repo.get_drill(session, drill_id)
            if row is None:
                raise NotFoundError(f"Leak drill {drill_id} no longer exists.")
            events = changes.pop("_events", ())
            for name, value in changes.items():
                setattr(row, name, value)
            for event, detail in events:
                repo.add_event(row, event, detail)
            session.flush()
            return row

    # --- the steps -----------------------------------------------------------------------
    async def start(self, handle: str) -> dict[str, Any]:
        """Issue a fresh key to the learner's app (retiring any earlier drill)."""
        previous = self._current(handle)
        if previous is not None:
            self._retire(previous)
        record, secret = keys.create_key(
            self.db, name=f"{APP_NAME} (leak drill)", monthly_cap_usd=CREDIT_USD,
            owner=f"drill:{handle}", rpm=600, tpm=10_000_000,
        )
        learner_id = self._learner_id(handle)
        with self.db.session() as session:
            drill = repo.add_drill(session, LeakDrill(
                learner_id=learner_id, stage="issued", leaked_key_id=record.id,
                app_key_id=record.id, credit_usd=CREDIT_USD, events=[],
                investigated_before_revoke=False, attacker_calls=0, app_calls=0,
                attacker_spend_usd=Decimal(0),
            ))
            repo.add_event(drill, "issued", f"Key {record.hint} issued to {APP_NAME}.")
            drill_id = drill.id
        _SecretStore(self.settings, drill_id).put(record.id, secret)
        # The app has been running for a while: a little genuine traffic in the audit log.
        for _ in range(2):
            await self._chat(secret, APP_USER_AGENT, APP_MODEL, _APP_PROMPT, 40)
        self._save(drill_id, app_calls=2)
        return self.state(handle)

    async def leak(self, handle: str) -> dict[str, Any]:
        """Push the commit that publishes the app's .env."""
        drill = self._require(handle)
        if drill.stage != "issued":
            return self.state(handle)
        self._save(drill.id, stage="leaked", leaked_at=utcnow(), _events=[
            ("leaked", "Commit 3f9c2ab pushed .env (with the key) to a public repository."),
        ])
        return self.state(handle)

    async def revoke(self, handle: str) -> dict[str, Any]:
        """Revoke the leaked key (the first thing to do)."""
        drill = self._require(handle)
        if drill.leaked_at is None:
            raise InvalidInputError("Nothing has leaked yet: push the commit first.")
        if drill.revoked_at is None:
            keys.revoke_key(self.db, drill.leaked_key_id)
            seconds = _since(drill.leaked_at, utcnow())
            order = ("after opening the audit log" if drill.investigated_before_revoke
                     else "before investigating (right order)")
            self._save(drill.id, revoked_at=utcnow(), stage="revoked", _events=[
                ("revoked", f"Leaked key revoked {seconds:.0f} s after the leak, {order}."),
            ])
        return self.state(handle)

    def audit(self, handle: str) -> dict[str, Any]:
        """The leaked key's audit log (the learner's investigation)."""
        drill = self._require(handle)
        if drill.leaked_at is None:
            raise InvalidInputError("Nothing has leaked yet: push the commit first.")
        if drill.audit_opened_at is None:
            before = drill.revoked_at is None
            detail = ("Audit opened while the key was still live: revoke first next time."
                      if before else "Audit opened after revoking.")
            self._save(drill.id, audit_opened_at=utcnow(), investigated_before_revoke=before,
                       _events=[("audit-opened", detail)])
        rows = keys.key_usage(self.db, drill.leaked_key_id, limit=500)
        return {
            "key": keys.get_key(self.db, drill.leaked_key_id).to_dict(),
            "rows": [
                {"request_id": e.request_id, "time": e.time.isoformat(), "model": e.model,
                 "status": e.status, "input_tokens": e.input_tokens,
                 "output_tokens": e.output_tokens, "cost": str(e.cost),
                 "user_agent": e.user_agent}
                for e in rows
            ],
        }

    def answer_audit(self, handle: str, attacker_ids: list[str],
                     shown_ids: list[str] | None = None) -> dict[str, Any]:
        """Score the learner's split of the audit rows into attacker and app calls.

        ``shown_ids`` are the rows the learner's table showed. The attacker keeps calling
        (and being refused) after the log is opened, so rows newer than the newest shown
        one are left out of the score rather than counted wrong; a row older than that
        counts whether or not it was sent, so leaving rows out cannot raise a score."""
        drill = self._require(handle)
        if drill.audit_opened_at is None:
            raise InvalidInputError("Open the audit log first.")
        chosen = set(attacker_ids)
        rows = keys.key_usage(self.db, drill.leaked_key_id, limit=500)
        later = 0
        if shown_ids:
            shown = set(shown_ids)
            seen_times = [e.time for e in rows if e.request_id in shown]
            cutoff = max(seen_times) if seen_times else None
            scored = [e for e in rows if cutoff is not None and e.time <= cutoff]
            later = len(rows) - len(scored)
            rows = scored
        wrong = [e.request_id for e in rows
                 if (e.request_id in chosen) != (e.user_agent in ATTACKER_USER_AGENTS)]
        correct = len(rows) - len(wrong)
        self._save(drill.id, audit_correct=correct, audit_total=len(rows),
                   audit_answered_at=utcnow(), _events=[
                       ("audit-answered", f"{correct} of {len(rows)} calls told apart."),
                   ])
        result = self.state(handle)
        result["audit_result"] = {"correct": correct, "total": len(rows), "wrong": wrong,
                                  "newer_calls": later}
        return result

    async def rotate(self, handle: str) -> dict[str, Any]:
        """Create the replacement key (revoking the old one if that was not done yet)."""
        drill = self._require(handle)
        if drill.leaked_at is None:
            raise InvalidInputError("Nothing has leaked yet: push the commit first.")
        if drill.new_key_id is None:
            revoked_now = drill.revoked_at is None
            # Rotation revokes a live key; a key the learner already revoked is replaced.
            replace = keys.rotate_key if revoked_now else keys.replace_revoked_key
            record, secret = replace(self.db, drill.leaked_key_id)
            _SecretStore(self.settings, drill.id).put(record.id, secret)
            changes: dict[str, Any] = {"new_key_id": record.id, "rotated_at": utcnow(),
                                       "stage": "rotated"}
            events = [("rotated", f"New key {record.hint} created.")]
            if revoked_now:
                changes["revoked_at"] = utcnow()
                events.insert(0, ("revoked", "Leaked key revoked by the rotation, "
                                  f"{_since(drill.leaked_at, utcnow()):.0f} s after the leak."))
            self._save(drill.id, **changes, _events=events)
        return self.state(handle)

    async def configure(self, handle: str, key_id: str) -> dict[str, Any]:
        """Point the app's configuration at a key (it should be the new one)."""
        drill = self._require(handle)
        if key_id not in {drill.leaked_key_id, drill.new_key_id}:
            raise InvalidInputError("Choose one of the drill's keys for the app.")
        if key_id == drill.leaked_key_id:
            raise InvalidInputError(
                "That is the leaked (revoked) key: the app would keep failing with 401. "
                "Choose the new key."
            )
        if drill.configured_at is None:
            hint = keys.get_key(self.db, key_id).hint
            self._save(drill.id, app_key_id=key_id, configured_at=utcnow(), stage="configured",
                       _events=[("configured", f"{APP_NAME} now reads key {hint} from its "
                                 "secret store.")])
        return self.state(handle)

    async def verify(self, handle: str) -> dict[str, Any]:
        """A test call with the app's configured key; success finishes the drill."""
        drill = self._require(handle)
        if drill.leaked_at is None:
            raise InvalidInputError("Nothing has leaked yet: push the commit first.")
        secret = _SecretStore(self.settings, drill.id).get(drill.app_key_id)
        status = await self._chat(secret, APP_USER_AGENT, APP_MODEL, _APP_PROMPT, 40)
        ok = status == 200
        changes: dict[str, Any] = {"verify_status": status, "app_calls": drill.app_calls + 1}
        if ok and drill.verified_at is None:
            changes.update(verified_at=utcnow(), stage="verified")
        detail = ("Test call succeeded (200)." if ok else
                  f"Test call failed ({status}): the app still uses a revoked key.")
        row = self._save(drill.id, **changes, _events=[("verified" if ok else "verify-failed",
                                                        detail)])
        if ok and row.finished_at is None:
            await self._finish(row.id)
        return self.state(handle)

    async def _finish(self, drill_id: int) -> None:
        with self.db.session() as session:
            row = repo.get_drill(session, drill_id)
            assert row is not None
            row.attacker_spend_usd = self._attacker_spend(row)
            result = debrief(row)
            row.score = result["score"]
            row.finished_at = utcnow()
            row.stage = "done"
            repo.add_event(row, "done", f"Score {row.score}/100.")

    def reset(self, handle: str) -> dict[str, Any]:
        """Retire the current drill (revoking its keys)."""
        drill = self._current(handle)
        if drill is not None:
            self._retire(drill)
        return {"drill": None}

    def _retire(self, drill: LeakDrill) -> None:
        for key_id in (drill.leaked_key_id, drill.new_key_id):
            if key_id:
                with contextlib.suppress(NotFoundError):
                    keys.revoke_key(self.db, key_id)
        _SecretStore(self.settings, drill.id).delete()
        if drill.finished_at is None:
            self._save(drill.id, finished_at=utcnow(), _events=[("abandoned", "Drill reset.")])

    # --- the simulation clock --------------------------------------------------------------
    async def tick(self, handle: str) -> dict[str, Any] | None:
        """Let the app and the attacker make the calls due since the last poll."""
        drill = self._current(handle)
        if drill is None:
            return None
        if drill.finished_at is None:
            async with _lock(drill.id):
                await self._tick(drill.id)
        return self.state(handle)

    async def _tick(self, drill_id: int) -> None:
        with self.db.session() as session:
            drill = repo.get_drill(session, drill_id)
            assert drill is not None
            session.expunge(drill)
        now = utcnow()
        store = _SecretStore(self.settings, drill.id)
        changes: dict[str, Any] = {}
        events: list[tuple[str, str]] = []
        # The app: one call every few seconds with whatever key its config names.
        app_due = int(_since(drill.started_at, now) / APP_INTERVAL_S) + 2
        if drill.app_calls < app_due:
            status = await self._chat(store.get(drill.app_key_id), APP_USER_AGENT, APP_MODEL,
                                      _APP_PROMPT, 40)
            changes["app_calls"] = drill.app_calls + 1
            last_app = next((e["event"] for e in reversed(drill.events or [])
                             if e["event"] in ("app-ok", "app-down")), "app-ok")
            state = "app-ok" if status == 200 else "app-down"
            if state != last_app:
                events.append((state, "Notes app calls succeed again." if status == 200 else
                               f"Notes app calls now fail ({status}): users see errors until "
                               "it has a working key."))
        # The attacker: starts shortly after the leak, calls on a fixed cadence.
        if drill.leaked_at is not None:
            elapsed = _since(drill.leaked_at, now) - ATTACK_DELAY_S
            refused = sum(1 for e in drill.events or [] if e["event"] == "attack-refused")
            if elapsed >= 0 and refused < ATTACKS_AFTER_REVOKE:
                due = min(int(elapsed / ATTACK_INTERVAL_S) + 1, MAX_ATTACKER_CALLS)
                calls = drill.attacker_calls
                secret = store.get(drill.leaked_key_id)
                for _ in range(min(due - calls, MAX_CALLS_PER_TICK)):
                    agent = ATTACKER_USER_AGENTS[calls % len(ATTACKER_USER_AGENTS)]
                    status = await self._chat(secret, agent, ATTACKER_MODEL, _ATTACK_PROMPT,
                                              4000)
                    calls += 1
                    if drill.first_attack_at is None and "first_attack_at" not in changes:
                        changes["first_attack_at"] = utcnow()
                        events.append(("attack-started", "Unknown client started calling "
                                       f"{ATTACKER_MODEL} with the leaked key."))
                    if status == 401:
                        refused += 1
                        events.append(("attack-refused", "Attacker's call refused: 401."))
                        if refused >= ATTACKS_AFTER_REVOKE:
                            break
                changes["attacker_calls"] = calls
            changes["attacker_spend_usd"] = self._attacker_spend(drill)
        if changes or events:
            self._save(drill.id, **changes, _events=events)

    def _attacker_spend(self, drill: LeakDrill) -> Decimal:
        total = Decimal(0)
        for entry in keys.key_usage(self.db, drill.leaked_key_id, limit=1000):
            if entry.user_agent in ATTACKER_USER_AGENTS:
                total += entry.cost
        return total

    # --- views ---------------------------------------------------------------------------
    def state(self, handle: str) -> dict[str, Any]:
        """The drill as the page shows it (no secrets), with the debrief once finished."""
        drill = self._current(handle)
        if drill is None:
            return {"drill": None}
        data = repo.drill_state(drill)
        spent = Decimal(0)
        with contextlib.suppress(NotFoundError):
            spent = sum((e.cost for e in keys.key_usage(self.db, drill.leaked_key_id,
                                                        limit=1000)), Decimal(0))
        credit = Decimal(str(drill.credit_usd))
        data["credit_left_usd"] = str(max(credit - spent, Decimal(0)).quantize(Decimal("0.0001")))
        data["keys"] = [self._key_view(k, drill) for k in (drill.leaked_key_id, drill.new_key_id)
                        if k]
        data["app"] = {"name": APP_NAME, "user_agent": APP_USER_AGENT, "model": APP_MODEL,
                       "key_id": drill.app_key_id}
        if drill.leaked_at is not None:
            data["commit"] = self._commit_view(drill)
        if drill.stage == "done":
            data["debrief"] = debrief(drill)
        return {"drill": data}

    def _key_view(self, key_id: str, drill: LeakDrill) -> dict[str, Any]:
        record = keys.get_key(self.db, key_id)
        return {"id": record.id, "hint": record.hint, "revoked": record.revoked,
                "role": "leaked" if key_id == drill.leaked_key_id else "new",
                "in_app_config": key_id == drill.app_key_id}

    def _commit_view(self, drill: LeakDrill) -> dict[str, Any]:
        """The public commit, as published (redacted here), and what the scanner says."""
        secret = _SecretStore(self.settings, drill.id).get(drill.leaked_key_id) or ""
        env_lines = [f"OPENAI_BASE_URL={_sandbox_base_url(self.settings)}",
                     f"OPENAI_API_KEY={secret}", "NOTES_DB=notes.sqlite"]
        diff = (
            "diff --git a/.env b/.env\nnew file mode 100644\n--- /dev/null\n+++ b/.env\n"
            "@@ -0,0 +1,3 @@\n" + "".join(f"+{line}\n" for line in env_lines)
        )
        shown, _ = redact_text(diff)
        # What `apilab scan --staged` reports for this commit: line numbers in .env itself.
        findings = [f.to_dict() for f in find_secrets("\n".join(env_lines) + "\n", ".env")]
        return {"sha": "3f9c2ab", "message": "add config so the demo works",
                "repository": f"github.com/you/{APP_NAME} (public)", "diff": shown,
                "findings": findings}


def _sandbox_base_url(settings: Any) -> str:
    """This server's sandbox base URL, as the learner's app would have it in its .env."""
    host = str(settings.host)
    host = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a display name
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}/sandbox/v1"


def debrief(drill: LeakDrill) -> dict[str, Any]:
    """Score (0-100) and a short debrief of a drill, in the lesson's order of steps."""
    parts: list[dict[str, Any]] = []
    seconds = None
    if drill.leaked_at is not None and drill.revoked_at is not None:
        seconds = (_aware(drill.revoked_at) - _aware(drill.leaked_at)).total_seconds()  # type: ignore[operator]
    if seconds is None:
        speed = 0
    elif seconds <= 20:
        speed = 35
    else:
        speed = max(5, round(35 - 30 * (seconds - 20) / 160))
    parts.append({"step": "Revoke fast", "points": speed, "max": 35,
                  "note": "not revoked" if seconds is None else f"{seconds:.0f} s after the leak"})
    order = 0 if drill.investigated_before_revoke else 20
    parts.append({"step": "Revoke first, then investigate", "points": order, "max": 20,
                  "note": "opened the audit while the key was live"
                  if drill.investigated_before_revoke else "revoked before investigating"})
    audit = 0
    if drill.audit_total:
        audit = round(20 * (drill.audit_correct or 0) / drill.audit_total)
    parts.append({"step": "Read the audit log", "points": audit, "max": 20,
                  "note": f"{drill.audit_correct or 0}/{drill.audit_total or 0} calls told apart"
                  if drill.audit_total else "audit not answered"})
    parts.append({"step": "Rotate", "points": 10 if drill.rotated_at else 0, "max": 10,
                  "note": "new key created" if drill.rotated_at else "not rotated"})
    parts.append({"step": "Update the app's config", "points": 5 if drill.configured_at else 0,
                  "max": 5, "note": "app reads the new key" if drill.configured_at
                  else "app still points at the old key"})
    parts.append({"step": "Verify", "points": 10 if drill.verified_at else 0, "max": 10,
                  "note": "test call returned 200" if drill.verified_at else "not verified"})
    score = sum(p["points"] for p in parts)
    spend = Decimal(str(drill.attacker_spend_usd or 0)).quantize(Decimal("0.0001"))
    lines = [
        f"The attacker made {drill.attacker_calls} call(s) and spent ${spend} of "
        f"${Decimal(str(drill.credit_usd)).quantize(Decimal('0.01'))} credit.",
    ]
    if drill.investigated_before_revoke:
        lines.append("You investigated while the key was still live. Revoke first: the audit "
                     "log is still there afterwards, the attacker's access is not.")
    else:
        lines.append("You revoked before investigating: the right order.")
    lines.append("Your app broke when the key was revoked and came back after rotation and a "
                 "config update: keep keys in one secret store so rotation is one change.")
    lines.append("Root cause: a .env file committed to a public repo. Add .env to .gitignore, "
                 "run `apilab scan --history` to find every leaked secret, and install the "
                 "hook with `apilab scan --install-hook` so it cannot happen again.")
    return {"score": score, "parts": parts, "lines": lines}
