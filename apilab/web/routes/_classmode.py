"""What class mode changes on a lab page: open labs, the class's settings, grade passback.

Outside class mode (no accounts, or a proxy-named learner) every function here is
a no-op that costs nothing: the single local learner's chat path is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from fastapi import Request

from apilab.classes import ClassContext, Classes
from apilab.web.identity import current_identity

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["after_exchange", "class_context", "lab_settings"]

log = logging.getLogger(__name__)
_BACKGROUND: set[asyncio.Task[None]] = set()


def class_context(request: Request) -> ClassContext | None:
    """The signed-in learner's class, if any (cached a few seconds per process)."""
    who = current_identity(request)
    if who.account_id is None:
        return None
    classes = Classes.for_db(request.app.state.db, request.app.state.settings)
    return classes.context_for(who.handle)


def lab_settings(request: Request, lab_id: str, *, writing: bool) -> Settings:
    """The settings a lab runs with for this learner; 403 if their class keeps it shut."""
    context = class_context(request)
    if context is None:
        return request.app.state.settings  # type: ignore[no-any-return]
    classes = Classes.for_db(request.app.state.db, request.app.state.settings)
    classes.check_lab(context, lab_id, writing=writing)
    return classes.settings_for(context)


def after_exchange(request: Request, lab_id: str, counted: bool) -> None:
    """After a counted exchange of a signed-in learner: send the LMS its new grade.

    Runs behind the reply (a task, then a worker thread): the LMS's latency never
    reaches the learner, and a failed passback is recorded on the link and retried at
    the next counted exchange.
    """
    who = current_identity(request)
    if not counted or who.account_id is None or not request.app.state.settings.lti_config:
        return
    from starlette.concurrency import run_in_threadpool

    from apilab.lti.grades import send_grades

    async def _send() -> None:
        try:
            await run_in_threadpool(send_grades, request.app.state.db,
                                    request.app.state.settings, who.account_id, lab_id)
        except Exception:  # noqa: BLE001 - recorded on the link by send_grades
            log.warning("LTI grade passback failed", exc_info=True)

    task = asyncio.get_running_loop().create_task(_send())
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
