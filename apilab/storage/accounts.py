"""Queries over accounts, sign-in sessions and reset links.

Tokens arrive here already hashed (``accounts.tokens.token_hash``): this module
never sees a session or reset token, and never a password (only its Argon2
hash). Every account is bound to one ``learners`` row, created with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from apilab.errors import InvalidInputError, NotFoundError
from apilab.storage.conversations import get_or_create_learner
from apilab.storage.models.accounts import Account, AuthSession, OidcIdentity, ResetToken
from apilab.storage.models.base import utcnow

__all__ = [
    "account_by_email",
    "account_by_external_id",
    "account_by_oidc_identity",
    "any_accounts",
    "create_account",
    "delete_session",
    "delete_sessions_of",
    "get_account",
    "link_oidc_identity",
    "list_accounts",
    "oidc_account_ids",
    "purge_expired_sessions",
    "session_account",
    "store_reset_token",
    "store_session",
    "use_reset_token",
]


def any_accounts(session: Session) -> bool:
    """Whether any account exists (none: the server has one local learner)."""
    return bool(session.scalar(select(exists().where(Account.id.isnot(None)))))


def create_account(session: Session, *, email: str, role: str, password_hash: str | None,
                   display_name: str | None = None, external_id: str | None = None,
                   handle: str | None = None) -> Account:
    """A new account and its learner row; ``InvalidInputError`` if the email is taken."""
    if account_by_email(session, email) is not None:
        raise InvalidInputError(f"An account for {email} already exists.")
    learner = get_or_create_learner(session, handle or email)
    taken = session.scalar(select(Account.id).where(Account.learner_id == learner.id))
    if taken is not None:
        raise InvalidInputError(f"The learner {handle or email!r} already has an account.")
    account = Account(email=email, role=role, password_hash=password_hash,
                      display_name=display_name, external_id=external_id,
                      learner_id=learner.id)
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, account_id: int) -> Account:
    """The account with this id, or ``NotFoundError``."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"No account with id {account_id}.")
    return account


def account_by_email(session: Session, email: str) -> Account | None:
    """The account for an (already lower-cased) email, if any."""
    return session.scalar(select(Account).where(Account.email == email))


def account_by_external_id(session: Session, external_id: str) -> Account | None:
    """The account bound to an OIDC or LTI identity (``issuer|subject``), if any."""
    return session.scalar(select(Account).where(Account.external_id == external_id))


def account_by_oidc_identity(session: Session, issuer: str, subject: str) -> Account | None:
    """The account an OIDC identity (issuer, subject) is linked to, if any."""
    return session.scalar(select(Account).join(OidcIdentity,
                                               OidcIdentity.account_id == Account.id)
                          .where(OidcIdentity.issuer == issuer,
                                 OidcIdentity.subject == subject))


def oidc_account_ids(session: Session) -> set[int]:
    """Ids of the accounts that have at least one OIDC identity."""
    return set(session.scalars(select(OidcIdentity.account_id).distinct()))


def link_oidc_identity(session: Session, account_id: int, issuer: str, subject: str,
                       email: str | None) -> None:
    """Bind (issuer, subject) to an account, or note a new sign-in of an existing link."""
    row = session.scalar(select(OidcIdentity).where(OidcIdentity.issuer == issuer,
                                                    OidcIdentity.subject == subject))
    if row is None:
        row = OidcIdentity(issuer=issuer, subject=subject, account_id=account_id)
        session.add(row)
    row.email = email
    row.last_sign_in_at = utcnow()
    session.flush()


def list_accounts(session: Session) -> Sequence[Account]:
    """Every account, oldest first."""
    return session.scalars(select(Account).order_by(Account.id)).all()


def store_session(session: Session, account_id: int, token_hash: str,
                  expires_at: dt.datetime, via: str) -> None:
    """Record a signed-in browser (by its token's hash)."""
    session.add(AuthSession(token_hash=token_hash, account_id=account_id,
                            expires_at=expires_at, via=via))
    account = session.get(Account, account_id)
    if account is not None:
        account.last_sign_in_at = utcnow()


def session_account(session: Session, token_hash: str) -> Account | None:
    """The enabled account behind an unexpired session token, else ``None``."""
    now = utcnow()
    row = session.execute(
        select(Account, AuthSession.expires_at)
        .join(AuthSession, AuthSession.account_id == Account.id)
        .where(AuthSession.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    account, expires_at = row
    if expires_at.tzinfo is None:  # SQLite returns naive datetimes; they are UTC
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= now or account.disabled_at is not None:
        return None
    return account


def delete_session(session: Session, token_hash: str) -> str | None:
    """Sign one browser out; returns how that session was opened (``via``), if it existed."""
    via = session.scalar(select(AuthSession.via).where(AuthSession.token_hash == token_hash))
    session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))
    return via


def delete_sessions_of(session: Session, account_id: int) -> int:
    """Sign an account out everywhere (disable, role change, password reset)."""
    return session.execute(
        delete(AuthSession).where(AuthSession.account_id == account_id)).rowcount or 0


def purge_expired_sessions(session: Session) -> int:
    """Drop sessions past their expiry; returns how many."""
    return session.execute(
        delete(AuthSession).where(AuthSession.expires_at <= utcnow())).rowcount or 0


def store_reset_token(session: Session, account_id: int, token_hash: str,
                      expires_at: dt.datetime) -> None:
    """Record a reset link (its token's hash); earlier unused links stop working."""
    session.execute(update(ResetToken)
                    .where(ResetToken.account_id == account_id, ResetToken.used_at.is_(None))
                    .values(used_at=utcnow()))
    session.add(ResetToken(account_id=account_id, token_hash=token_hash,
                           expires_at=expires_at))


def use_reset_token(session: Session, token_hash: str) -> Account | None:
    """Spend a reset link: the account it is for, or ``None`` if unknown, used or expired."""
    row = session.scalar(select(ResetToken).where(ResetToken.token_hash == token_hash))
    if row is None or row.used_at is not None:
        return None
    expires_at = row.expires_at
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= utcnow():
        return None
    # Atomic: two tabs submitting the same link cannot both use it.
    spent = session.execute(update(ResetToken)
                            .where(ResetToken.id == row.id, ResetToken.used_at.is_(None))
                            .values(used_at=utcnow())).rowcount
    if not spent:
        return None
    return session.get(Account, row.account_id)


def count_accounts(session: Session) -> int:
    """How many accounts exist."""
    return int(session.scalar(select(func.count(Account.id))) or 0)
