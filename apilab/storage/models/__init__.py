"""ORM models, one module per aggregate; all share ``Base.metadata``.

Importing this package registers every table (including those owned by the
sandbox, the call layer's ledger, the leak drill, Lab 4's prompt workbench, and
accounts and classes), which Alembic's autogenerate comparison relies on.
"""

from apilab.storage.models import (  # noqa: F401  (register tables)
    accounts,
    drill,
    ledger,
    promptlab,
    sandbox,
)
from apilab.storage.models.base import Base
from apilab.storage.models.lab import LabProgress, Learner, Message

__all__ = ["Base", "LabProgress", "Learner", "Message"]
