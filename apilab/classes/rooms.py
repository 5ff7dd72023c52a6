"""``Classes``: create a class, join it by code, set its backend, budget and open labs, close it.

Who may see a class is decided here and nowhere else: an admin sees every
class, an instructor the classes they own or co-teach, a learner none (a
learner sees only their own data, through the routes that take their handle).
``visible`` raises ``ForbiddenError`` for anything else, and every dashboard,
export and transcript read goes through it.

A learner's *class context* (which backend answers them, which budget caps
bind, which labs are open) is looked up per message and cached for a few
seconds per process; the budget itself is enforced by the call layer's budget
layer, with the class slug as its class scope (``classes.budget``).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from apilab.accounts.roles import ADMIN, INSTRUCTOR, LEARNER, Identity
from apilab.errors import ForbiddenError, InvalidInputError, NotFoundError
from apilab.storage import accounts as account_repo
from apilab.storage import classes as repo
from apilab.storage.models.accounts import ClassRoom
from apilab.storage.models.base import utcnow

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["BACKENDS", "ClassContext", "Classes", "class_info", "parse_usd"]

BACKENDS = ("offline", "openai", "anthropic", "gemini", "sandbox")
CONTEXT_TTL_S = 5.0
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# No 0/O, 1/I/L: codes are read aloud and copied from a projector.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def parse_usd(value: object, what: str) -> str | None:
    """A dollar cap as a decimal string, ``None`` for off; ``InvalidInputError`` otherwise."""
    text = str(value if value is not None else "").strip().lstrip("$")
    if text.lower() in ("", "off", "none"):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInputError(f"{what} must be a dollar amount like 0.50, or off.") from None
    if amount < 0 or amount > Decimal(1_000_000) or not amount.is_finite():
        raise InvalidInputError(f"{what} must be between 0 and 1,000,000 dollars.")
    return str(amount)


def new_join_code() -> str:
    """A code like ``K7QX-M2PD`` (40 bits: guessing one is hopeless at sign-in rates)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclasses.dataclass(frozen=True)
class ClassContext:
    """What a learner's class decides for their lab: backend, caps, open labs."""

    slug: str
    name: str
    backend: str | None
    model: str | None
    learner_daily_usd: str | None
    class_monthly_usd: str | None
    open_labs: tuple[str, ...]
    closed: bool

    def lab_open(self, lab_id: str) -> bool:
        return not self.open_labs or lab_id in self.open_labs


def class_info(room: ClassRoom, *, with_code: bool = True) -> dict[str, Any]:
    """A class as plain data for pages, exports and the CLI."""
    info: dict[str, Any] = {
        "slug": room.slug, "name": room.name, "backend": room.backend or "server default",
        "model": room.model, "learner_daily_usd": room.learner_daily_usd,
        "class_monthly_usd": room.class_monthly_usd, "open_labs": list(room.open_labs or []),
        "closed": room.closed_at is not None, "created_at": room.created_at,
        "lti": room.lti_context is not None,
    }
    if with_code:
        info["join_code"] = room.join_code
    return info


class Classes:
    """Classes over one database; the CLI and the web door share it."""

    def __init__(self, db: Database, settings: Settings, clock: Any = time.monotonic) -> None:
        self.db = db
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._contexts: dict[str, tuple[float, ClassContext | None]] = {}
        self._settings: dict[ClassContext, Settings] = {}

    @classmethod
    def for_db(cls, db: Database, settings: Settings) -> Classes:
        """The process's ``Classes`` for a database (its caches live as long as the db)."""
        found = db.attached.get("classes")
        if found is None or found.settings is not settings:
            found = db.attached["classes"] = cls(db, settings)
        return found  # type: ignore[no-any-return]

    # --- who may see what -------------------------------------------------------
    def visible(self, session: Any, who: Identity, slug: str) -> ClassRoom:
        """The class if ``who`` may manage it (admin, owner, co-instructor), else 403."""
        room = repo.class_by_slug(session, slug)
        if who.at_least(ADMIN):
            return room
        if who.at_least(INSTRUCTOR) and who.account_id is not None:
            if room.owner_id == who.account_id:
                return room
            if any(c.id == room.id for c in repo.list_classes(session, who.account_id)):
                return room
        # The same answer whether the class exists or not would be kinder to probing,
        # but slugs are not secrets (join codes are); say plainly what is wrong.
        raise ForbiddenError(f"You do not teach the class {slug!r}.")

    def list(self, who: Identity | None) -> list[dict[str, Any]]:
        """The classes ``who`` may manage (``None``: the CLI, every class)."""
        with self.db.session() as session:
            if who is None or who.at_least(ADMIN):
                rooms = repo.list_classes(session)
            elif who.at_least(INSTRUCTOR) and who.account_id is not None:
                rooms = repo.list_classes(session, who.account_id)
            else:
                rooms = []
            out = []
            for room in rooms:
                info = class_info(room)
                info["learners"] = len(repo.members(session, room.id))
                out.append(info)
            return out

    # --- creating and changing a class ------------------------------------------
    def create(self, who: Identity | None, *, slug: str, name: str | None = None,
               owner_email: str | None = None, **options: Any) -> dict[str, Any]:
        """A new class owned by ``who`` (an instructor) or by ``owner_email`` (the CLI)."""
        slug = str(slug or "").strip().lower()
        if not _SLUG.match(slug):
            raise InvalidInputError("A class slug is 2-63 lower-case letters, digits or '-', "
                                    "e.g. cs101-spring.")
        if who is not None:
            who.require(INSTRUCTOR)
        with self.db.session() as session:
            owner_id = who.account_id if who is not None else None
            if owner_email:
                from apilab.accounts.service import normalise_email

                owner = account_repo.account_by_email(session, normalise_email(owner_email))
                if owner is None:
                    raise NotFoundError(f"No account for {owner_email}.")
                owner_id = owner.id
            try:
                repo.class_by_slug(session, slug)
            except NotFoundError:
                pass
            else:
                raise InvalidInputError(f"A class {slug!r} already exists.")
            room = ClassRoom(slug=slug, name=(name or slug).strip()[:200], owner_id=owner_id,
                             join_code=new_join_code(), open_labs=[])
            self._apply(room, options)
            session.add(room)
            session.flush()
            if owner_id is not None:
                repo.add_member(session, room.id, owner_id, INSTRUCTOR)
            return class_info(room)

    def update(self, who: Identity | None, slug: str, **options: Any) -> dict[str, Any]:
        """Change a class's backend, model, caps, open labs or name."""
        with self.db.session() as session:
            room = self.visible(session, who, slug) if who is not None \
                else repo.class_by_slug(session, slug)
            self._apply(room, options)
            info = class_info(room)
        self.forget()
        return info

    def close(self, who: Identity | None, slug: str, closed: bool = True) -> dict[str, Any]:
        """Close (or reopen) a class: no one joins, its labs become read-only."""
        with self.db.session() as session:
            room = self.visible(session, who, slug) if who is not None \
                else repo.class_by_slug(session, slug)
            room.closed_at = utcnow() if closed else None
            info = class_info(room)
        self.forget()
        return info

    def new_code(self, who: Identity | None, slug: str) -> dict[str, Any]:
        """Replace a class's join code (the old one stops working)."""
        with self.db.session() as session:
            room = self.visible(session, who, slug) if who is not None \
                else repo.class_by_slug(session, slug)
            room.join_code = new_join_code()
            return class_info(room)

    def _apply(self, room: ClassRoom, options: dict[str, Any]) -> None:
        from apilab.content import load_course

        for key, value in options.items():
            if value is None:
                continue
            if key == "name":
                room.name = str(value).strip()[:200] or room.slug
            elif key == "backend":
                backend = str(value).strip().lower()
                if backend in ("", "default", "server"):
                    room.backend = None
                elif backend not in BACKENDS:
                    raise InvalidInputError(
                        f"Unknown backend {backend!r}: use one of {', '.join(BACKENDS)}.")
                else:
                    room.backend = backend
            elif key == "model":
                room.model = str(value).strip()[:128] or None
            elif key == "learner_daily_usd":
                room.learner_daily_usd = parse_usd(value, "The per-learner daily budget")
            elif key == "class_monthly_usd":
                room.class_monthly_usd = parse_usd(value, "The class's monthly budget")
            elif key == "open_labs":
                labs = [str(v).strip() for v in value if str(v).strip()]
                course = load_course()
                for lab in labs:
                    course.lab(lab)  # NotFoundError names an unknown lab
                room.open_labs = labs
            else:
                raise InvalidInputError(f"Unknown class option {key!r}.")

    # --- members ------------------------------------------------------------------
    def join(self, who: Identity, code: str) -> dict[str, Any]:
        """Join a class by its code (a signed-in account joins as a learner)."""
        if who.account_id is None:
            raise ForbiddenError("Sign in first: a class needs an account to join.")
        code = str(code or "").strip().upper()
        if len(code) > 20:
            raise InvalidInputError("That is not a join code.")
        with self.db.session() as session:
            room = repo.class_by_code(session, code) or repo.class_by_code(
                session, code[:4] + "-" + code[4:] if "-" not in code else code)
            if room is None:
                raise NotFoundError("No class has that join code: check it with your "
                                    "instructor.")
            if room.closed_at is not None:
                raise ForbiddenError(f"The class {room.name!r} is closed.")
            repo.add_member(session, room.id, who.account_id, LEARNER)
            info = class_info(room, with_code=False)
        self.forget()
        return info

    def add(self, slug: str, email: str, role: str = LEARNER) -> None:
        """Put an account in a class (the CLI's ``classes add``)."""
        from apilab.accounts.service import normalise_email

        if role not in (LEARNER, INSTRUCTOR):
            raise InvalidInputError("A class member is a learner or an instructor.")
        with self.db.session() as session:
            room = repo.class_by_slug(session, slug)
            account = account_repo.account_by_email(session, normalise_email(email))
            if account is None:
                raise NotFoundError(f"No account for {email}: create it with "
                                    "`apilab users create`.")
            repo.add_member(session, room.id, account.id, role)
        self.forget()

    def my_classes(self, who: Identity) -> list[dict[str, Any]]:
        """The classes a signed-in account belongs to (no join codes for learners)."""
        if who.account_id is None:
            return []
        with self.db.session() as session:
            return [{**class_info(room, with_code=member.role == INSTRUCTOR),
                     "role": member.role}
                    for room, member in repo.memberships(session, who.account_id)]

    # --- a learner's class, for the lab -------------------------------------------
    def context_for(self, handle: str) -> ClassContext | None:
        """The learner's class context, or ``None`` outside any class (cached briefly)."""
        now = self._clock()
        cached = self._contexts.get(handle)
        if cached is not None and now - cached[0] < CONTEXT_TTL_S:
            return cached[1]
        with self.db.session() as session:
            room = repo.learner_class(session, handle)
            context = None if room is None else ClassContext(
                slug=room.slug, name=room.name, backend=room.backend, model=room.model,
                learner_daily_usd=room.learner_daily_usd,
                class_monthly_usd=room.class_monthly_usd,
                open_labs=tuple(room.open_labs or ()), closed=room.closed_at is not None)
        with self._lock:
            if len(self._contexts) > 20_000:
                self._contexts.clear()
            self._contexts[handle] = (now, context)
        return context

    def check_lab(self, context: ClassContext | None, lab_id: str, *, writing: bool) -> None:
        """``ForbiddenError`` when the learner's class keeps this lab shut (or is closed)."""
        if context is None:
            return
        if not context.lab_open(lab_id):
            raise ForbiddenError(f"Your class {context.name!r} has not opened this lab yet.")
        if writing and context.closed:
            raise ForbiddenError(f"Your class {context.name!r} is closed: its labs are "
                                 "read-only.")

    def settings_for(self, context: ClassContext | None) -> Settings:
        """The server settings with the class's backend and budget caps laid over them.

        The class slug becomes the budget layer's class scope; its per-learner daily cap
        replaces the server's. One ``Settings`` object per distinct context, kept, because
        the model assistant caches its call stack per settings object.
        """
        if context is None:
            return self.settings
        found = self._settings.get(context)
        if found is not None:
            return found
        overrides: dict[str, Any] = {"budget_class": context.slug,
                                     "budget_class_monthly_usd":
                                         context.class_monthly_usd or "off"}
        if context.backend:
            overrides["backend"] = context.backend
            overrides["model"] = context.model
        if context.learner_daily_usd is not None:
            overrides["budget_learner_daily_usd"] = context.learner_daily_usd
        found = self.settings.with_overrides(**overrides)
        with self._lock:
            if len(self._settings) > 1000:
                self._settings.clear()
            self._settings[context] = found
        return found

    def forget(self) -> None:
        """Drop cached class contexts in this process (after a change)."""
        with self._lock:
            self._contexts.clear()
