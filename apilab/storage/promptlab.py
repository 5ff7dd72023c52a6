"""Queries over Lab 4's prompt workbench: versions, cases and runs of one learner.

Every function takes the learner's id and never returns another learner's
rows: a version, case or run id from the page is looked up *with* the
learner, so guessing ids reveals nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from apilab.storage.models.promptlab import PromptCase, PromptRun, PromptVersion

__all__ = [
    "add_case",
    "add_run",
    "add_version",
    "count_cases",
    "delete_case",
    "get_case",
    "get_run",
    "get_version",
    "latest_runs",
    "list_cases",
    "list_versions",
    "prune_runs",
]


def list_versions(session: Session, learner_id: int) -> list[PromptVersion]:
    return list(session.scalars(select(PromptVersion).where(
        PromptVersion.learner_id == learner_id).order_by(PromptVersion.number)))


def get_version(session: Session, learner_id: int, version_id: int) -> PromptVersion | None:
    return session.scalar(select(PromptVersion).where(
        PromptVersion.learner_id == learner_id, PromptVersion.id == version_id))


def add_version(session: Session, learner_id: int, **fields: Any) -> PromptVersion:
    """Insert the learner's next numbered version."""
    top = session.scalar(select(func.max(PromptVersion.number)).where(
        PromptVersion.learner_id == learner_id)) or 0
    version = PromptVersion(learner_id=learner_id, number=top + 1, **fields)
    session.add(version)
    session.flush()
    return version


def list_cases(session: Session, learner_id: int) -> list[PromptCase]:
    return list(session.scalars(select(PromptCase).where(
        PromptCase.learner_id == learner_id).order_by(PromptCase.id)))


def count_cases(session: Session, learner_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(PromptCase).where(
        PromptCase.learner_id == learner_id)) or 0)


def get_case(session: Session, learner_id: int, case_id: int) -> PromptCase | None:
    return session.scalar(select(PromptCase).where(
        PromptCase.learner_id == learner_id, PromptCase.id == case_id))


def add_case(session: Session, learner_id: int, **fields: Any) -> PromptCase:
    case = PromptCase(learner_id=learner_id, **fields)
    session.add(case)
    session.flush()
    return case


def delete_case(session: Session, learner_id: int, case_id: int) -> bool:
    result = session.execute(delete(PromptCase).where(
        PromptCase.learner_id == learner_id, PromptCase.id == case_id))
    return bool(getattr(result, "rowcount", 0))


def add_run(session: Session, learner_id: int, **fields: Any) -> PromptRun:
    run = PromptRun(learner_id=learner_id, **fields)
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, learner_id: int, run_id: int) -> PromptRun | None:
    return session.scalar(select(PromptRun).where(
        PromptRun.learner_id == learner_id, PromptRun.id == run_id))


def latest_runs(session: Session, learner_id: int, limit: int = 20) -> list[PromptRun]:
    return list(session.scalars(select(PromptRun).where(
        PromptRun.learner_id == learner_id).order_by(PromptRun.id.desc()).limit(limit)))


def prune_runs(session: Session, learner_id: int, keep: int) -> None:
    """Delete all but the newest ``keep`` runs of a learner."""
    ids = list(session.scalars(select(PromptRun.id).where(
        PromptRun.learner_id == learner_id).order_by(PromptRun.id.desc()).offset(keep)))
    if ids:
        session.execute(delete(PromptRun).where(PromptRun.id.in_(ids)))
