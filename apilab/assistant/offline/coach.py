"""Coaching on the key-security lab's leak drill, from the drill state the exchange passes in.

The drill (owned by the secretscan capability) reports its state as a dict from
``apilab.storage.drill.get_drill_state``; this module only reads a ``stage``
(and, when present, ``revoked``/``rotated``/``verified`` flags) and says what
the learner should do next. Unknown shapes produce no coaching, never an error.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["drill_coaching"]

_ABOUT_DRILL = re.compile(r"\b(drill|leak(ed)?|attacker|abuse|revoke|rotate|audit|what now|"
                          r"next step|what next|what do i do|stuck|help)\b", re.I)

# Stage -> what to do next. Stage names are matched loosely (prefixes), so the drill can
# name its stages "leaked", "attack", "revoked", "audit", "rotated", "verified", "done".
_NEXT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("idle", "not_started", "ready", "start"),
     "Start the drill from the panel below when you're ready: a sandbox key will leak and "
     "someone will start spending from it. Your first move then is the same as in real life."),
    (("leak", "attack", "abuse", "running", "exposed", "active"),
     "The key is leaking money right now. **Revoke it first** - press Revoke in the drill "
     "panel before you investigate anything. Every second of investigation first is spend you "
     "could have stopped."),
    (("revoked", "audit"),
     "Good - the key is revoked. Now **audit**: open its usage log and tell the attacker's "
     "calls from your app's (unfamiliar user agent, models your app never uses, bursts at odd "
     "times, higher cost). Then rotate."),
    (("rotate", "rotated", "update", "configure"),
     "Now **rotate**: create the new key, put it where the app reads it (the environment, not "
     "code), and **verify** with a test call that the app works on the new key."),
    (("verify", "verified"),
     "Verify with a test call on the new key; then write down the root cause (how the key got "
     "into the commit) and the guard that stops it next time (.gitignore, pre-commit scan)."),
    (("done", "debrief", "complete", "finished", "scored"),
     "The drill is done - read the debrief: how long revoking took, and whether you revoked "
     "before investigating. Run it again to beat your time."),
)


def drill_coaching(lab_id: str, state: Any, message: str) -> str | None:
    """A short coaching paragraph for the drill's current stage, or ``None``."""
    if lab_id != "key-security" or not isinstance(state, dict):
        return None
    stage = str(state.get("stage") or state.get("status") or "").lower()
    if not stage:
        return None
    active = not stage.startswith(("idle", "not_started", "ready", "done", "debrief",
                                   "complete", "finished", "scored"))
    if not (_ABOUT_DRILL.search(message) or (active and len(message.split()) <= 6)):
        return None
    for prefixes, advice in _NEXT:
        if stage.startswith(prefixes):
            return f"**Leak drill - stage: {stage}.** {advice}"
    return None
