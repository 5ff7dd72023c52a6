"""Coaching on the key-security lab's leak drill, from the state the exchange passes in.

The drill (owned by the secretscan capability) reports its state as the dict of
``apilab.storage.drill.get_drill_state``: ``stage`` (issued, leaked, revoked,
rotated, configured, verified, done), ``next_step`` and figures such as
``seconds_since_leak``, ``attacker_spend_usd``, ``investigated_before_revoke`` and
``score``. This module turns that into one short paragraph; an unknown shape
produces no coaching, never an error.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["drill_coaching"]

_ABOUT_DRILL = re.compile(r"\b(drill|leak(ed)?|attacker|abuse|revoke|rotate|rotation|audit|"
                          r"what now|next step|what next|what do i do|stuck|help|hint|"
                          r"verify|config(ure|uration)?|score|debrief)\b", re.I)

# Why each step matters, by stage (the drill's own ``next_step`` says what to click).
_WHY = {
    "issued": "The drill is ready: your app has a project key, and a commit that leaks it. "
              "When it goes public, act exactly as you would for real.",
    "leaked": "The key is public and someone is spending from it. **Revoke it first** - before "
              "you open the audit log or look for the cause; every second of investigating "
              "first is money you could have stopped.",
    "revoked": "Good: the bleeding has stopped. Now **audit**: tell the attacker's calls from "
               "your app's (unfamiliar user agent, models your app never uses, bursts, higher "
               "cost) to know what the leak cost.",
    "rotated": "The replacement key exists. Put it where the app reads it - the environment or "
               "the secret manager, never the code.",
    "configured": "The app has the new key. **Verify** with a test call before you call the "
                  "incident over.",
    "verified": "Service is restored on the new key. Last step: the **root cause** - which "
                "commit leaked the key - and the guard (.gitignore, pre-commit scan) that stops "
                "it next time.",
    "done": "The drill is finished - read the debrief.",
}


def _figures(state: dict[str, Any]) -> str:
    bits = []
    spend = state.get("attacker_spend_usd")
    if spend not in (None, "0", "0.00"):
        bits.append(f"attacker spend so far ${spend}")
    since = state.get("seconds_since_leak")
    if since is not None:
        bits.append(f"{since:g} s since the leak")
    took = state.get("seconds_to_revoke")
    if took is not None:
        bits.append(f"you revoked after {took:g} s")
    if state.get("investigated_before_revoke"):
        bits.append("you investigated before revoking - next time revoke first")
    if state.get("score") is not None and state.get("stage") == "done":
        bits.append(f"score {state['score']}")
    return ("(" + "; ".join(bits) + ")") if bits else ""


def drill_coaching(lab_id: str, state: Any, message: str) -> str | None:
    """A short coaching paragraph for the drill's current stage, or ``None``."""
    if lab_id != "key-security" or not isinstance(state, dict):
        return None
    stage = str(state.get("stage") or "").lower()
    if not stage:
        return None
    active = stage not in ("issued", "done") and not state.get("finished")
    if not (_ABOUT_DRILL.search(message) or (active and len(message.split()) <= 6)):
        return None
    why = _WHY.get(stage)
    next_step = str(state.get("next_step") or "").strip()
    if why is None and not next_step:
        return None
    parts = [f"**Leak drill - stage: {stage}.**"]
    if why:
        parts.append(why)
    if next_step and stage != "done":
        parts.append(f"Next in the drill panel: {next_step}")
    figures = _figures(state)
    if figures:
        parts.append(figures)
    return " ".join(parts)
