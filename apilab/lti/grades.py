"""Assignment and Grade Services: send a learner's lab score to the LMS.

The score is 1.0 once the lab is complete, otherwise the share of the lab's
objectives covered (``activityProgress`` ``Completed`` / ``InProgress``). It is
sent for every line item the learner was launched from for that lab, after each
counted exchange (the web layer does this behind the reply), and only when it
changed since the last successful send; a failure is recorded on the link and the
next counted exchange tries again. Blocking (``requests``): call it on a thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from apilab.content import load_course
from apilab.lti.tool import http_session, tool_config
from apilab.storage import classes as class_repo
from apilab.storage.models.accounts import Account
from apilab.storage.models.base import utcnow
from apilab.storage.models.lab import LabProgress

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["lab_score", "send_grades"]

log = logging.getLogger(__name__)


def lab_score(progress: LabProgress | None, objectives: int) -> tuple[float, bool]:
    """(score in 0..1, complete) for a lab's progress row."""
    if progress is None:
        return 0.0, False
    if progress.completed_at is not None:
        return 1.0, True
    covered = len(progress.objectives_covered or [])
    return (round(covered / objectives, 4) if objectives else 0.0), False


def send_grades(db: Database, settings: Settings, account_id: int, lab_id: str) -> int:
    """Send the learner's score for one lab to every line item linked to it; returns sends."""
    from sqlalchemy import select

    lab = load_course().lab(lab_id)
    with db.session() as session:
        links = list(class_repo.lti_links_of(session, account_id, lab_id))
        if not links:
            return 0
        account = session.get(Account, account_id)
        if account is None:
            return 0
        progress = session.scalar(select(LabProgress).where(
            LabProgress.learner_id == account.learner_id, LabProgress.lab_id == lab_id))
        score, complete = lab_score(progress, len(lab.objectives))
        config = tool_config(settings)
        http = http_session()
        sent = 0
        for link in links:
            if link.last_score == f"{score:.4f}" and link.last_error is None:
                continue
            grade = (Grade().set_score_given(score).set_score_maximum(1.0)
                     .set_user_id(link.user_sub)
                     .set_timestamp(dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))
                     .set_activity_progress("Completed" if complete else "InProgress")
                     .set_grading_progress("FullyGraded" if complete else "Pending"))
            try:
                registration = config.find_registration_by_params(link.issuer, link.client_id)
                service = AssignmentsGradesService(ServiceConnector(registration, http), link.ags)
                service.put_grade(grade)
            except Exception as exc:  # noqa: BLE001 - kept on the link, retried next time
                link.last_error = str(exc)[:500]
                log.warning("LTI score for %s/%s not accepted: %s", account_id, lab_id, exc)
                continue
            link.last_score, link.last_error, link.last_sent_at = f"{score:.4f}", None, utcnow()
            sent += 1
        return sent
