"""ORM models, one module per aggregate; all share ``Base.metadata``.

Importing this package registers every table (including those owned by the
sandbox, the call layer's ledger, the leak drill and Lab 4's prompt workbench), which Alembic's
autogenerate comparison relies on.
"""

from apilab.storage.models import drill, ledger, promptlab, sandbox  # noqa: F401  (register tables)
from apilab.storage.models.base import Base
from apilab.storage.models.lab import LabProgress, Learner, Message

__all__ = ["Base", "LabProgress", "Learner", "Message"]
