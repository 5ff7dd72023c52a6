"""Leak-drill coaching from the drill state (apilab.storage.drill.get_drill_state shape)."""

from __future__ import annotations

from apilab.assistant.offline.coach import drill_coaching

LEAKED = {"stage": "leaked", "next_step": "Revoke the leaked key now.",
          "seconds_since_leak": 12.5, "attacker_spend_usd": "0.0421",
          "investigated_before_revoke": False, "finished": False}


def test_leaked_stage_says_revoke_first_with_figures() -> None:
    text = drill_coaching("key-security", LEAKED, "what now?")
    assert text is not None
    assert "stage: leaked" in text and "Revoke it first" in text
    assert "Revoke the leaked key now." in text and "$0.0421" in text and "12.5 s" in text


def test_later_stages_coach_the_next_step() -> None:
    revoked = {**LEAKED, "stage": "revoked", "seconds_since_leak": None,
               "seconds_to_revoke": 40.0, "investigated_before_revoke": True,
               "next_step": "Read the key's audit log."}
    text = drill_coaching("key-security", revoked, "what do I do next?")
    assert text is not None and "audit" in text and "revoke first" in text
    done = drill_coaching("key-security", {"stage": "done", "finished": True, "score": 85},
                          "how did the drill go?")
    assert done is not None and "debrief" in done and "score 85" in done


def test_no_coaching_outside_the_lab_or_off_the_subject() -> None:
    assert drill_coaching("api-basics", LEAKED, "what now?") is None
    assert drill_coaching("key-security", None, "what now?") is None
    assert drill_coaching("key-security", {"weird": 1}, "drill?") is None
    long_question = "What is a project-scoped key and why would I want one for my team?"
    assert drill_coaching("key-security", {**LEAKED, "stage": "issued"}, long_question) is None
