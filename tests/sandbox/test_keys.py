"""Keys: hashed secrets, revoke, rotate, usage, and the lab's own key file."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from apilab.errors import InvalidInputError, NotFoundError
from apilab.sandbox import keys


def test_secret_is_shown_once_and_stored_only_as_hash(sandbox_db) -> None:  # type: ignore[no-untyped-def]
    record, secret = keys.create_key(sandbox_db, name="app", models=["gpt-4o"],
                                     monthly_cap_usd="2.50", tier="free")
    assert secret.startswith(keys.SECRET_PREFIX) and len(secret) == len(keys.SECRET_PREFIX) + 40
    assert record.hint == f"{keys.SECRET_PREFIX}…{secret[-4:]}"
    assert record.models == ("gpt-4o",) and str(record.monthly_cap_usd) == "2.50"
    with sandbox_db.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("select * from sandbox_keys"))
                        for v in row)
    assert secret not in dump and secret[len(keys.SECRET_PREFIX):] not in dump
    assert keys.hash_secret(secret) in dump
    assert keys.find_key(sandbox_db, secret) == record
    assert "secret" not in record.to_dict()


def test_bad_key_settings_are_refused(sandbox_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="Unknown tier"):
        keys.create_key(sandbox_db, name="x", tier="platinum")
    with pytest.raises(InvalidInputError, match="name"):
        keys.create_key(sandbox_db, name="  ")
    with pytest.raises(InvalidInputError, match="monthly_cap_usd"):
        keys.create_key(sandbox_db, name="x", monthly_cap_usd="lots")
    with pytest.raises(InvalidInputError, match="rpm"):
        keys.create_key(sandbox_db, name="x", rpm=0)
    with pytest.raises(NotFoundError):
        keys.revoke_key(sandbox_db, "key_missing")


def test_revoke_and_rotate(sandbox_db) -> None:  # type: ignore[no-untyped-def]
    old, old_secret = keys.create_key(sandbox_db, name="svc", models=["gpt-4o-mini"],
                                      tier="tier-2", monthly_cap_usd=5)
    keys.revoke_key(sandbox_db, old.id)
    again = keys.revoke_key(sandbox_db, old.id)
    assert again.revoked
    with pytest.raises(InvalidInputError, match="already revoked"):
        keys.rotate_key(sandbox_db, old.id)  # a revoked key's id mints nothing
    new, new_secret = keys.replace_revoked_key(sandbox_db, old.id)  # revoke-first, replace
    assert new_secret != old_secret and new.rotated_from == old.id
    with pytest.raises(InvalidInputError, match=f"replacement is {new.id}"):
        keys.replace_revoked_key(sandbox_db, old.id)  # one replacement, ever
    assert (new.models, new.tier, new.monthly_cap_usd) == (old.models, old.tier,
                                                           old.monthly_cap_usd)
    assert not new.revoked
    listed = {k.id: k.revoked for k in keys.list_keys(sandbox_db)}
    assert listed == {old.id: True, new.id: False}
    assert [k.id for k in keys.list_keys(sandbox_db, include_revoked=False)] == [new.id]


def test_lab_key_lives_in_a_private_file(sandbox_db, settings) -> None:  # type: ignore[no-untyped-def]
    secret = keys.ensure_lab_key(sandbox_db, settings)
    path = keys.lab_key_path(settings)
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.ensure_lab_key(sandbox_db, settings) == secret  # reused
    record = keys.find_key(sandbox_db, secret)
    assert record is not None and record.tier == "lab" and record.name == keys.LAB_KEY_NAME
    keys.revoke_key(sandbox_db, record.id)
    replacement = keys.ensure_lab_key(sandbox_db, settings)
    assert replacement != secret and path.read_text().strip() == replacement


def test_lab_key_works_against_the_mounted_sandbox(client, settings) -> None:  # type: ignore[no-untyped-def]
    from apilab.storage.db import open_database

    secret = keys.ensure_lab_key(open_database(settings.db_url), settings)
    response = client.post("/sandbox/v1/chat/completions",
                           headers={"Authorization": f"Bearer {secret}"},
                           json={"model": "echo", "messages": [{"role": "user",
                                                                 "content": "ping"}]})
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "ping"
    assert response.headers["x-ratelimit-limit-requests"] == "600"  # the "lab" tier


def test_rotation_is_once_per_key_even_when_racing(sandbox_db) -> None:  # type: ignore[no-untyped-def]
    import concurrent.futures

    old, _ = keys.create_key(sandbox_db, name="svc")

    def rotate() -> str:
        try:
            return keys.rotate_key(sandbox_db, old.id)[0].id
        except InvalidInputError:
            return "refused"

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: rotate(), range(4)))
    assert outcomes.count("refused") == 3
    live = keys.list_keys(sandbox_db, include_revoked=False)
    assert [k.rotated_from for k in live] == [old.id]
    with pytest.raises(InvalidInputError, match="already revoked"):
        keys.rotate_key(sandbox_db, old.id)
    with pytest.raises(InvalidInputError, match="still live"):
        keys.replace_revoked_key(sandbox_db, live[0].id)
