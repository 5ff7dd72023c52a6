"""Leak drill repository: the state the tutor coaches on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apilab.storage.conversations import get_or_create_learner
from apilab.storage.db import open_database
from apilab.storage.drill import add_drill, add_event, get_drill_state, next_step
from apilab.storage.models.drill import LeakDrill


def test_get_drill_state_reports_stage_timings_and_next_step(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings.db_url)
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    with db.session() as session:
        learner = get_or_create_learner(session, "ada")
        assert get_drill_state(session, learner.id) is None
        drill = add_drill(session, LeakDrill(
            learner_id=learner.id, stage="leaked", leaked_key_id="key_a", app_key_id="key_a",
            credit_usd=Decimal("1.5"), started_at=t0, leaked_at=t0 + dt.timedelta(seconds=5),
            events=[], investigated_before_revoke=False, attacker_calls=3, app_calls=2,
            attacker_spend_usd=Decimal("0.05"),
        ))
        assert next_step(drill).startswith("Revoke")
        drill.revoked_at = t0 + dt.timedelta(seconds=47)
        drill.investigated_before_revoke = True
        drill.stage = "revoked"
        add_event(drill, "revoked", "after the audit", at=drill.revoked_at)
        session.flush()
        state = get_drill_state(session, learner.id)
    assert state is not None
    assert state["stage"] == "revoked"
    assert state["seconds_to_revoke"] == 42.0
    assert state["investigated_before_revoke"] is True
    assert state["next_step"].startswith("Read the key's audit log")
    assert state["attacker_calls"] == 3 and Decimal(state["attacker_spend_usd"]) == Decimal("0.05")
    assert state["events"][-1]["event"] == "revoked"
    assert state["seconds_since_leak"] is None  # stops counting once revoked
