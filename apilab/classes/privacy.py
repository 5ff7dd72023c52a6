"""A learner's own data: export it, delete it; and the retention purge.

- ``export_own(db, identity)``: everything stored about the signed-in learner,
  as JSON-ready data (no password hash, no token);
- ``delete_own(db, identity)``: deletes it (see ``storage.privacy``); usage
  rows stay, without the learner and without request bodies, because budgets and
  the class's spend are settled against them;
- ``purge(db, days)``: deletes transcripts older than ``days`` (the admin's
  ``APILAB_RETENTION_DAYS``); ``retention_loop`` runs it once a day in every
  server process (idempotent, so several processes running it is harmless).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from apilab.errors import InvalidInputError
from apilab.storage import accounts as account_repo
from apilab.storage import privacy as repo
from apilab.storage.conversations import get_or_create_learner
from apilab.storage.models.base import utcnow

if TYPE_CHECKING:
    from apilab.accounts.roles import Identity
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["delete_own", "export_own", "purge", "retention_loop"]

log = logging.getLogger(__name__)


def _learner_id(session: Any, who: Identity) -> int:
    return who.learner_id or get_or_create_learner(session, who.handle).id


def export_own(db: Database, who: Identity) -> dict[str, Any]:
    """Everything stored about ``who``."""
    with db.session() as session:
        data = repo.learner_data(session, _learner_id(session, who))
    data["exported_at"] = utcnow().isoformat()
    return data


def delete_own(db: Database, who: Identity) -> dict[str, int]:
    """Delete ``who``'s account and data (the local learner's data can be deleted too)."""
    with db.session() as session:
        counts = repo.delete_learner(session, _learner_id(session, who))
    return counts


def purge(db: Database, days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete transcripts older than ``days`` days; expired sessions and launch state too."""
    if days <= 0:
        raise InvalidInputError("Retention must be at least one day (0 means keep "
                                "everything, so there is nothing to purge).")
    now = now or utcnow()
    with db.session() as session:
        counts = repo.purge_before(session, now - dt.timedelta(days=days))
        counts["sessions"] = account_repo.purge_expired_sessions(session)
        counts["launch_state"] = repo.purge_expired_values(session, now)
    return counts


async def retention_loop(db: Database, settings: Settings, every_s: float = 86400.0) -> None:
    """Purge once now and then every ``every_s`` seconds while the server runs."""
    from starlette.concurrency import run_in_threadpool

    while True:
        days = int(settings.retention_days or 0)
        if days > 0:
            try:
                counts = await run_in_threadpool(purge, db, days)
                log.info("Retention purge (%d days): %s", days, counts)
            except Exception:  # noqa: BLE001 - tried again next time
                log.warning("Retention purge failed", exc_info=True)
        await asyncio.sleep(every_s)
