"""The instructor dashboard's figures for one class, as plain data.

One call reads everything the page, the CSV/JSON export and the charts show:
learners x labs (exchanges, objectives covered, completed when), who has not
progressed in N days, the objectives fewest learners covered, the questions
the tutor could not answer grouped by similarity, and spend per learner and
for the class against its caps. The caller has already checked that the
instructor may see this class (``Classes.visible``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apilab.classes.gaps import GAP_KINDS, group_questions
from apilab.content import load_course
from apilab.storage import classes as repo
from apilab.storage.models.base import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from apilab.settings import Settings
    from apilab.storage.models.accounts import ClassRoom

__all__ = ["build_dashboard"]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.000001")))


def _iso(when: dt.datetime | None) -> str | None:
    if when is None:
        return None
    return (when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when).isoformat()


def build_dashboard(session: Session, room: ClassRoom, settings: Settings, *,
                    stuck_days: int = 3, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for ``room``."""
    now = now or utcnow()
    course = load_course()
    open_labs = list(room.open_labs or [])
    labs = [lab for lab in course.labs if not open_labs or lab.id in open_labs]
    members = repo.members(session, room.id)
    learner_ids = [learner.id for _a, learner, _m in members]
    progress = {(p.learner_id, p.lab_id): p for p in repo.progress_of(session, learner_ids)}
    activity = repo.last_activity(session, learner_ids)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    keys = [str(i) for i in learner_ids]
    spent_today = repo.spend_by_learner(session, keys, day_start)
    spent_month = repo.spend_by_learner(session, keys, month_start)
    learner_cap = Decimal(room.learner_daily_usd) if room.learner_daily_usd is not None \
        else _setting_usd(settings.budget_learner_daily_usd)
    class_cap = Decimal(room.class_monthly_usd) if room.class_monthly_usd else None

    rows = []
    cutoff = now - dt.timedelta(days=stuck_days)
    for account, learner, member in members:
        cells = []
        completed = 0
        for lab in labs:
            p = progress.get((learner.id, lab.id))
            covered = [o for o in (p.objectives_covered if p else []) or []]
            done = p.completed_at if p else None
            completed += done is not None
            cells.append({"lab": lab.id, "exchanges": p.exchange_count if p else 0,
                          "objectives": len(covered), "objectives_total": len(lab.objectives),
                          "covered": covered, "completed_at": _iso(done)})
        last = activity.get(learner.id)
        stuck = completed < len(labs) and (last is None or last < cutoff)
        rows.append({
            "learner_id": learner.id, "email": account.email,
            "name": account.display_name or account.email, "joined_at": _iso(member.joined_at),
            "last_active": _iso(last), "stuck": stuck, "completed": completed, "labs": cells,
            "spend_today_usd": _money(spent_today.get(str(learner.id), Decimal(0))),
            "spend_month_usd": _money(spent_month.get(str(learner.id), Decimal(0))),
        })

    objectives = []
    for lab in labs:
        for objective in lab.objectives:
            count = sum(1 for r in rows for c in r["labs"]
                        if c["lab"] == lab.id and objective.id in c["covered"])
            objectives.append({"lab": lab.id, "id": objective.id, "text": objective.text,
                               "learners": count,
                               "share": round(count / len(rows), 3) if rows else 0.0})
    least = sorted(objectives, key=lambda o: (o["learners"], o["lab"], o["id"]))

    gaps = group_questions(repo.gap_questions(session, learner_ids, GAP_KINDS))
    class_month = repo.spend_of_scope(session, room.slug, month_start)
    per_lab = [{"lab": lab.id, "title": lab.title,
                "completed": sum(1 for r in rows for c in r["labs"]
                                 if c["lab"] == lab.id and c["completed_at"]),
                "started": sum(1 for r in rows for c in r["labs"]
                               if c["lab"] == lab.id and c["exchanges"]),
                "learners": len(rows)} for lab in labs]
    return {
        "class": {"slug": room.slug, "name": room.name, "closed": room.closed_at is not None},
        "generated_at": now.isoformat(),
        "stuck_days": stuck_days,
        "labs": [{"id": lab.id, "title": lab.title, "objectives": len(lab.objectives),
                  "min_exchanges": lab.min_exchanges} for lab in labs],
        "learners": rows,
        "stuck": [r for r in rows if r["stuck"]],
        "least_covered_objectives": least[:10],
        "objectives": objectives,
        "gaps": gaps,
        "per_lab": per_lab,
        "spend": {
            "learner_daily_cap_usd": _money(learner_cap),
            "class_monthly_cap_usd": _money(class_cap),
            "class_month_usd": _money(class_month),
            "class_month_share": (float(class_month / class_cap) if class_cap else None),
            "over_learner_cap": [r["email"] for r in rows if learner_cap is not None
                                 and Decimal(r["spend_today_usd"]) > learner_cap],
        },
    }


def _setting_usd(raw: object) -> Decimal | None:
    text = str(raw or "").strip().lstrip("$").lower()
    if text in ("", "off", "none", "unlimited"):
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None
