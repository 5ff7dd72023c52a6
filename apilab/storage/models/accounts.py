"""Tables owned by accounts and classes: who may sign in, their sessions, their classes.

An account is a way to sign in (a password, an OIDC subject or an LTI user) bound
to exactly one ``learners`` row, so everything a learner owns (messages, progress,
drills, prompt versions) keeps hanging off ``learners`` as before. Passwords are
stored only as Argon2 hashes; session and reset tokens only as SHA-256 hashes (a
stolen database cannot sign anyone in). A class has one owner and members with a
role; its budget caps are decimal strings like the settings they override.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apilab.storage.models.base import Base, utcnow

__all__ = ["Account", "AuthSession", "ClassMember", "ClassRoom", "LtiLink", "OidcIdentity",
           "ResetToken", "SharedValue"]


class Account(Base):
    """Someone who can sign in: a learner, an instructor or an admin."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: OIDC/LTI only
    role: Mapped[str] = mapped_column(String(16), default="learner")
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), unique=True)
    # "issuer|subject" of an LTI platform's user, when signed in that way (OIDC identities
    # are rows of ``oidc_identities``: an account may have several).
    external_id: Mapped[str | None] = mapped_column(String(400), unique=True)
    disabled_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column()


class OidcIdentity(Base):
    """An OpenID Connect identity (issuer, subject) bound to an account.

    The pair, not the email, is who someone is at a provider (OIDC Core 5.7: ``sub`` is
    unique and never reassigned within an issuer; an email can change hands). An account
    may have several (two providers over time); an identity has one account.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))  # OIDC Core: at most 255 ASCII chars
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))  # verified email at last sign-in
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column()


class AuthSession(Base):
    """One signed-in browser: the cookie carries a token, the row keeps its hash."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(String(16), default="password")  # password|oidc|lti


class ResetToken(Base):
    """A one-use password reset link an admin printed with the CLI."""

    __tablename__ = "reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class ClassRoom(Base):
    """A class: its join code, model backend, budget caps, open labs, and whether closed."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)  # the budget scope name
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    backend: Mapped[str | None] = mapped_column(String(32))  # None: the server's backend
    model: Mapped[str | None] = mapped_column(String(128))
    learner_daily_usd: Mapped[str | None] = mapped_column(String(20))  # None: server default
    class_monthly_usd: Mapped[str | None] = mapped_column(String(20))  # None: no class cap
    open_labs: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: every lab
    # "issuer|deployment|context" of the LMS course this class stands for (LTI).
    lti_context: Mapped[str | None] = mapped_column(String(600), unique=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ClassMember(Base):
    """An account in a class, as learner or (co-)instructor."""

    __tablename__ = "class_members"
    __table_args__ = (UniqueConstraint("class_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"),
                                          index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    role: Mapped[str] = mapped_column(String(16), default="learner")  # learner|instructor
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LtiLink(Base):
    """Where an LMS wants a learner's grade for one lab (an AGS line item)."""

    __tablename__ = "lti_links"
    __table_args__ = (UniqueConstraint("account_id", "lab_id", "lineitem"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    lab_id: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(300))
    lineitem: Mapped[str] = mapped_column(String(600))
    user_sub: Mapped[str] = mapped_column(String(300))  # the LMS's id for the learner
    ags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the launch's AGS claim
    last_score: Mapped[str | None] = mapped_column(String(20))
    last_sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class SharedValue(Base):
    """A small expiring value every server process can read (LTI launch state, nonces)."""

    __tablename__ = "shared_values"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
