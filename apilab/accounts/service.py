"""``Accounts``: the one engine behind ``apilab users ...`` and the sign-in pages.

Sessions are server-side rows in the shared database (only the token's hash is
kept), so any server process can answer any request: no sticky sessions. A
process keeps what it resolved for a few seconds (``IDENTITY_TTL_S``) so the
chat path does not query the database on every message; sign-out, disable and
role changes clear this process's copy at once and reach other processes within
that TTL.

Sign-in is rate-limited per email and per client address through the call
layer's limit store (in process, or Redis when ``APILAB_REDIS_URL`` is set, so
the limit holds across processes). Failed and successful attempts both count:
the limit is far above what a person types.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from apilab.accounts import passwords
from apilab.accounts.roles import LEARNER, Identity, check_role
from apilab.accounts.tokens import new_token, token_hash
from apilab.errors import ForbiddenError, InvalidInputError, NotFoundError, TooBusyError
from apilab.storage import accounts as repo
from apilab.storage.models.base import utcnow

if TYPE_CHECKING:
    from apilab.calls.state.base import StateStore
    from apilab.settings import Settings
    from apilab.storage.db import Database
    from apilab.storage.models.accounts import Account

__all__ = ["IDENTITY_TTL_S", "Accounts", "SignIn", "normalise_email"]

IDENTITY_TTL_S = 5.0
_NO_ACCOUNTS_TTL_S = 2.0
_CACHE_MAX = 20_000
# Linear: no nested quantifiers; lengths bounded.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
RESET_TTL = dt.timedelta(hours=24)


def normalise_email(email: object) -> str:
    """The lower-cased email, or ``InvalidInputError`` if it does not look like one."""
    text = str(email or "").strip().lower()
    if not _EMAIL.match(text):
        raise InvalidInputError("Enter an email address like ada@example.org.")
    return text


@dataclasses.dataclass(frozen=True)
class SignIn:
    """A new session: the cookie value to set and who it signs in."""

    token: str
    identity: Identity
    max_age_s: int


def identity_of(account: Account, handle: str) -> Identity:
    """The ``Identity`` of an account whose learner handle is ``handle``."""
    return Identity(handle=handle, role=account.role, account_id=account.id,
                    email=account.email, display_name=account.display_name,
                    learner_id=account.learner_id)


class Accounts:
    """Accounts, sessions and reset links over one database and one limit store."""

    def __init__(self, db: Database, settings: Settings, store: StateStore | None = None,
                 clock: Any = time.monotonic) -> None:
        self.db = db
        self.settings = settings
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._identities: dict[str, tuple[float, Identity | None]] = {}
        self._exist: tuple[float, bool] | None = None

    @classmethod
    def for_db(cls, db: Database, settings: Settings) -> Accounts:
        """The process's ``Accounts`` for a database (its caches live as long as the db)."""
        found = db.attached.get("accounts")
        if found is None or found.settings is not settings:
            found = db.attached["accounts"] = cls(db, settings)
        return found  # type: ignore[no-any-return]

    @property
    def store(self) -> StateStore:
        if self._store is None:
            from apilab.calls.state.base import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def password_signin(self) -> bool:
        """Whether email and password sign-in is on (only OIDC can turn it off)."""
        oidc = bool(self.settings.oidc_issuer and self.settings.oidc_client_id)
        return not oidc or bool(self.settings.oidc_password_signin)

    def _require_password_signin(self) -> None:
        if not self.password_signin:
            raise ForbiddenError("Password sign-in is off on this server: sign in with your "
                                 "identity provider (the button on the sign-in page).")

    @property
    def session_max_age_s(self) -> int:
        return int(float(self.settings.session_days) * 86400)

    # --- does this server have accounts at all --------------------------------
    def accounts_exist(self) -> bool:
        """Whether sign-in is required (cached: once true it stays true in this process)."""
        now = self._clock()
        cached = self._exist
        if cached is not None and (cached[1] or now - cached[0] < _NO_ACCOUNTS_TTL_S):
            return cached[1]
        with self.db.session() as session:
            exist = repo.any_accounts(session)
        self._exist = (now, exist)
        return exist

    # --- administration (the CLI) ---------------------------------------------
    def create(self, email: str, *, password: str | None, role: str = LEARNER,
               display_name: str | None = None) -> Identity:
        """Create an account (``password=None``: it signs in by reset link, OIDC or LTI)."""
        email = normalise_email(email)
        check_role(role)
        hashed = passwords.hash_password(passwords.check_password_rule(password)) \
            if password is not None else None
        with self.db.session() as session:
            account = repo.create_account(session, email=email, role=role,
                                          password_hash=hashed, display_name=display_name)
            identity = identity_of(account, email)
        self._exist = None
        return identity

    def get(self, email: str) -> Account:
        """The account for an email, or ``NotFoundError``."""
        email = normalise_email(email)
        with self.db.session() as session:
            account = repo.account_by_email(session, email)
            if account is None:
                raise NotFoundError(f"No account for {email}: `apilab users list` shows them.")
            return account

    def list(self) -> list[dict[str, Any]]:
        """Every account as plain data (never a hash)."""
        with self.db.session() as session:
            oidc = repo.oidc_account_ids(session)
            return [{"id": a.id, "email": a.email, "name": a.display_name, "role": a.role,
                     "disabled": a.disabled_at is not None,
                     "password": a.password_hash is not None,
                     "external": a.external_id is not None, "oidc": a.id in oidc,
                     "last_sign_in_at": a.last_sign_in_at, "created_at": a.created_at}
                    for a in repo.list_accounts(session)]

    def set_role(self, email: str, role: str) -> None:
        """Change an account's role; it is signed out everywhere."""
        check_role(role)
        self._update(email, role=role)

    def set_disabled(self, email: str, disabled: bool = True) -> None:
        """Disable (or re-enable) an account; disabling signs it out everywhere."""
        self._update(email, disabled_at=utcnow() if disabled else None)

    def _update(self, email: str, **values: Any) -> None:
        email = normalise_email(email)
        with self.db.session() as session:
            account = repo.account_by_email(session, email)
            if account is None:
                raise NotFoundError(f"No account for {email}: `apilab users list` shows them.")
            for name, value in values.items():
                setattr(account, name, value)
            repo.delete_sessions_of(session, account.id)
        self.forget_all()

    def issue_reset(self, email: str) -> str:
        """A one-use reset token (valid 24 h) for the CLI to print as a link."""
        email = normalise_email(email)
        token = new_token()
        with self.db.session() as session:
            account = repo.account_by_email(session, email)
            if account is None:
                raise NotFoundError(f"No account for {email}: `apilab users list` shows them.")
            repo.store_reset_token(session, account.id, token_hash(token), utcnow() + RESET_TTL)
        return token

    def reset_password(self, token: str, password: str) -> Identity:
        """Set a new password with a reset token; every other session is signed out."""
        self._require_password_signin()
        passwords.check_password_rule(password)
        hashed = passwords.hash_password(password)
        with self.db.session() as session:
            account = repo.use_reset_token(session, token_hash(token or ""))
            if account is None:
                raise ForbiddenError("This reset link is unknown, used or expired: ask an "
                                     "admin for a new one (`apilab users reset-link`).")
            if account.disabled_at is not None:
                raise ForbiddenError("This account is disabled.")
            account.password_hash = hashed
            repo.delete_sessions_of(session, account.id)
            identity = identity_of(account, self._handle(session, account))
        self.forget_all()
        return identity

    # --- sign-in ---------------------------------------------------------------
    async def _limit(self, key: str, limit: int) -> None:
        from apilab.calls.state.base import WindowDim

        window = float(self.settings.signin_window_s)
        # Named per database: two labs served by one process (an embedding app, the test
        # suite) are two sites, and one's attempts must not lock the other out.
        site = hashlib.sha256(self.db.url.encode()).hexdigest()[:12]
        decision = await self.store.window_acquire(
            f"signin:{site}:{key}", [WindowDim("tries", limit, 1)], uuid.uuid4().hex, window)
        if not decision.ok:
            raise TooBusyError(
                f"Too many sign-in attempts; wait {max(1, round(decision.retry_in))} s and "
                "try again.")

    async def limit_external_start(self, peer: str | None) -> None:
        """Count the start of an OIDC sign-in against the client address's sign-in limit.

        Each start stores a pending sign-in; the limit keeps one client from filling the
        table (``TooBusyError`` past ``APILAB_SIGNIN_PEER_LIMIT`` per window).
        """
        await self._limit(f"peer:{peer or '-'}", int(self.settings.signin_peer_limit))

    async def sign_in(self, email: object, password: object, peer: str | None) -> SignIn:
        """Check a password and open a session; ``ForbiddenError`` with one vague message."""
        self._require_password_signin()
        address = normalise_email(email)
        if not isinstance(password, str):
            raise InvalidInputError("Enter your password.")
        await self._limit(f"peer:{peer or '-'}", int(self.settings.signin_peer_limit))
        await self._limit(f"email:{address}", int(self.settings.signin_email_limit))
        account = await run_in_threadpool(self._check_password, address, password)
        if account is None:
            # One message for a wrong email and a wrong password: no account probing.
            raise ForbiddenError("That email and password do not match an account.")
        return await run_in_threadpool(self.start_session, account.id, "password")

    def _check_password(self, email: str, password: str) -> Account | None:
        with self.db.session() as session:
            account = repo.account_by_email(session, email)
            stored = account.password_hash if account is not None else None
            ok = passwords.verify_password(stored, password)
            if not ok or account is None or account.disabled_at is not None:
                return None
            if passwords.needs_rehash(stored or ""):
                account.password_hash = passwords.hash_password(password)
            return account

    def start_session(self, account_id: int, via: str) -> SignIn:
        """Open a new session for an account (a fresh token every sign-in)."""
        token = new_token()
        expires = utcnow() + dt.timedelta(seconds=self.session_max_age_s)
        with self.db.session() as session:
            account = repo.get_account(session, account_id)
            if account.disabled_at is not None:
                raise ForbiddenError("This account is disabled; ask an admin.")
            repo.store_session(session, account.id, token_hash(token), expires, via)
            identity = identity_of(account, self._handle(session, account))
        return SignIn(token=token, identity=identity, max_age_s=self.session_max_age_s)

    def external_sign_in(self, external_id: str, *, email: str | None, name: str | None,
                         role: str, via: str) -> SignIn:
        """Sign in an OIDC or LTI user, creating their account on first sight.

        ``role`` is what the identity provider says now; it only ever *raises* a
        stored role (an LMS instructor becomes an instructor here), so a stale or
        forged claim cannot demote an admin.
        """
        with self.db.session() as session:
            account = repo.account_by_external_id(session, external_id)
            if account is None and email:
                account = repo.account_by_email(session, email)
                if account is not None and account.external_id is None:
                    account.external_id = external_id
            if account is None:
                address = email or f"{uuid.uuid4().hex[:16]}@{via}.invalid"
                account = repo.create_account(session, email=address, role=role,
                                              password_hash=None, display_name=name,
                                              external_id=external_id)
            elif Identity("x", role=role).at_least(account.role) and role != account.role:
                account.role = role
            if name and not account.display_name:
                account.display_name = name
            account_id = account.id
        self._exist = None
        return self.start_session(account_id, via)

    def oidc_sign_in(self, issuer: str, subject: str, *, email: str | None,
                     name: str | None, role: str, link_email: bool) -> SignIn:
        """Sign in an OIDC identity: its linked account, or a new one on first sight.

        ``email`` must already be verified by the caller (``email_verified``), or be
        ``None``. An existing account with the same email is taken over only when
        ``link_email`` (``APILAB_OIDC_LINK_EMAIL``) allows it: otherwise whoever controls
        that address at the provider could sign in as a local (perhaps admin) account.
        The role of an existing account is never changed here.
        """
        check_role(role)
        with self.db.session() as session:
            account = repo.account_by_oidc_identity(session, issuer, subject)
            if account is None:
                account = repo.account_by_email(session, email) if email else None
                if account is not None and not link_email:
                    raise ForbiddenError(
                        f"An account for {email} already exists on this lab, and this server "
                        "does not link it to a sign-in from your identity provider. Sign in "
                        "with your email and password instead, or ask an admin to allow "
                        "linking (APILAB_OIDC_LINK_EMAIL=true).")
                if account is None:
                    address = email or f"{uuid.uuid4().hex[:16]}@oidc.invalid"
                    account = repo.create_account(session, email=address, role=role,
                                                  password_hash=None, display_name=name)
            if account.disabled_at is not None:
                raise ForbiddenError("This account is disabled, so it cannot sign in. Ask "
                                     "whoever runs this lab to re-enable it.")
            repo.link_oidc_identity(session, account.id, issuer, subject, email)
            if name and not account.display_name:
                account.display_name = name
            account_id = account.id
        self._exist = None
        return self.start_session(account_id, "oidc")

    def sign_out(self, token: str | None) -> str | None:
        """End one session (the cookie's); returns how it was opened (password, oidc, lti)."""
        if not token:
            return None
        hashed = token_hash(token)
        with self.db.session() as session:
            via = repo.delete_session(session, hashed)
        with self._lock:
            self._identities.pop(hashed, None)
        return via

    # --- resolving a cookie ----------------------------------------------------
    def identity(self, token: str | None) -> Identity | None:
        """Who a session token signs in, or ``None`` (cached ``IDENTITY_TTL_S``)."""
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        now = self._clock()
        cached = self._identities.get(hashed)
        if cached is not None and now - cached[0] < IDENTITY_TTL_S:
            return cached[1]
        with self.db.session() as session:
            account = repo.session_account(session, hashed)
            found = identity_of(account, self._handle(session, account)) \
                if account is not None else None
        with self._lock:
            if len(self._identities) >= _CACHE_MAX:
                self._identities.clear()  # rare; a cold cache only costs a query each
            self._identities[hashed] = (now, found)
        return found

    def forget_all(self) -> None:
        """Drop this process's resolved sessions (after a role change or disable)."""
        with self._lock:
            self._identities.clear()

    @staticmethod
    def _handle(session: Any, account: Account) -> str:
        from apilab.storage.models.lab import Learner

        learner = session.get(Learner, account.learner_id)
        return learner.handle if learner is not None else account.email
