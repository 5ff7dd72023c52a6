"""Migrations reach head on an empty database, twice harmlessly, and match the models."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from apilab.storage.db import Database
from apilab.storage.models import Base
from tests._services import require_postgres


def _assert_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_sqlite_upgrade_twice_and_no_drift(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade()
    db.upgrade()  # harmless the second time
    _assert_matches_models(db)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"learners", "messages", "lab_progress", "alembic_version"} <= tables
    db.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_and_no_drift() -> None:
    url = require_postgres()
    schema = "t_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        db = Database(url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}")
        db.upgrade()
        db.upgrade()
        _assert_matches_models(db)
        db.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_packaged_heads_match_alembic() -> None:
    """The cheap start-up check reads the same head Alembic would compute."""
    from alembic.script import ScriptDirectory

    from apilab.storage.db import alembic_config, packaged_heads

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert packaged_heads() == frozenset(script.get_heads())
