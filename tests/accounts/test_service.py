"""Accounts: Argon2 hashes, sessions by token hash, rate-limited sign-in, reset links, roles."""

from __future__ import annotations

import asyncio

import pytest

from apilab.accounts import Accounts
from apilab.accounts.tokens import token_hash
from apilab.errors import ForbiddenError, InvalidInputError, TooBusyError
from apilab.storage.db import open_database
from apilab.storage.models.accounts import Account, AuthSession

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(settings):  # type: ignore[no-untyped-def]
    from apilab.calls.state.memory import MemoryStore

    return Accounts(open_database(settings.db_url), settings, store=MemoryStore())


def test_no_accounts_until_one_is_created(accounts) -> None:  # type: ignore[no-untyped-def]
    assert not accounts.accounts_exist()
    accounts.create("Ada@Example.org", password=PASSWORD)
    assert accounts.accounts_exist()
    assert [a["email"] for a in accounts.list()] == ["ada@example.org"]


def test_password_is_stored_as_argon2id_only(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD)
    with accounts.db.session() as session:
        stored = session.query(Account).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert "password_hash" not in accounts.list()[0]


def test_hashes_use_owasp_parameters_and_old_ones_are_rehashed_at_sign_in(accounts) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    accounts.create("ada@example.org", password=PASSWORD)
    with accounts.db.session() as session:
        assert "$m=19456,t=2,p=1$" in session.query(Account).one().password_hash
        # A hash made with argon2-cffi's default (heavier) profile, as before 2026-12-04.
        session.query(Account).one().password_hash = PasswordHasher().hash(PASSWORD)
    asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, "127.0.0.1"))
    with accounts.db.session() as session:
        stored = session.query(Account).one().password_hash
    assert "$m=19456,t=2,p=1$" in stored
    asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, "127.0.0.1"))  # still verifies


@pytest.mark.parametrize("password", ["short", "x" * 2000])
def test_bad_passwords_are_refused_with_a_reason(accounts, password) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="characters"):
        accounts.create("ada@example.org", password=password)
    assert not accounts.accounts_exist()


def test_bad_email_and_duplicate_are_refused(accounts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="email"):
        accounts.create("not-an-email", password=PASSWORD)
    accounts.create("ada@example.org", password=PASSWORD)
    with pytest.raises(InvalidInputError, match="already exists"):
        accounts.create("ADA@example.org", password=PASSWORD)


def test_sign_in_stores_only_the_token_hash_and_resolves_it(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD, role="instructor")
    done = asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, "127.0.0.1"))
    with accounts.db.session() as session:
        row = session.query(AuthSession).one()
    assert row.token_hash == token_hash(done.token) and done.token != row.token_hash
    who = accounts.identity(done.token)
    assert who is not None and who.role == "instructor" and who.email == "ada@example.org"
    assert accounts.identity("forged-token") is None


def test_wrong_password_and_unknown_email_get_the_same_answer(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD)
    messages = set()
    for email, password in (("ada@example.org", "wrong password!"),
                            ("nobody@example.org", PASSWORD)):
        with pytest.raises(ForbiddenError) as err:
            asyncio.run(accounts.sign_in(email, password, "127.0.0.1"))
        messages.add(str(err.value))
    assert len(messages) == 1


def test_sign_in_is_rate_limited_per_email(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD)
    limit = int(accounts.settings.signin_email_limit)

    async def attempts() -> int:
        refused = 0
        for i in range(limit + 3):
            try:
                await accounts.sign_in("ada@example.org", "wrong password!", f"10.0.0.{i}")
            except ForbiddenError:
                pass
            except TooBusyError:
                refused += 1
        return refused

    assert asyncio.run(attempts()) == 3
    # Even the right password waits now: the limit is per email, not per failure.
    with pytest.raises(TooBusyError, match="wait"):
        asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, "10.0.0.99"))


def test_disable_signs_out_and_blocks_sign_in(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD)
    done = asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, None))
    accounts.set_disabled("ada@example.org")
    assert accounts.identity(done.token) is None
    with pytest.raises(ForbiddenError):
        asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, None))


def test_role_change_takes_effect_at_once_in_this_process(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=PASSWORD)
    done = asyncio.run(accounts.sign_in("ada@example.org", PASSWORD, None))
    assert accounts.identity(done.token).role == "learner"
    accounts.set_role("ada@example.org", "admin")
    assert accounts.identity(done.token) is None  # signed out everywhere
    with pytest.raises(InvalidInputError, match="role"):
        accounts.set_role("ada@example.org", "superuser")


def test_reset_link_works_once(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=None)
    token = accounts.issue_reset("ada@example.org")
    accounts.reset_password(token, "a brand new passphrase")
    with pytest.raises(ForbiddenError, match="used or expired"):
        accounts.reset_password(token, "another new passphrase")
    done = asyncio.run(accounts.sign_in("ada@example.org", "a brand new passphrase", None))
    assert done.identity.email == "ada@example.org"


def test_a_newer_reset_link_voids_the_older_one(accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("ada@example.org", password=None)
    first = accounts.issue_reset("ada@example.org")
    accounts.issue_reset("ada@example.org")
    with pytest.raises(ForbiddenError):
        accounts.reset_password(first, "a brand new passphrase")


def test_external_sign_in_creates_once_and_never_demotes(accounts) -> None:  # type: ignore[no-untyped-def]
    first = accounts.external_sign_in("https://lms|42", email=None, name="Grace",
                                      role="instructor", via="lti")
    again = accounts.external_sign_in("https://lms|42", email=None, name="Grace",
                                      role="learner", via="lti")
    assert first.identity.account_id == again.identity.account_id
    assert again.identity.role == "instructor"
    assert len(accounts.list()) == 1
