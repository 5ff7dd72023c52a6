"""ORM models, one module per aggregate; all share ``Base.metadata``.

Importing this package registers every table, which Alembic's autogenerate
comparison relies on.
"""

from apilab.storage.models.base import Base
from apilab.storage.models.lab import Learner, LabProgress, Message

# Modules owned by other capabilities register their tables on import.
from apilab.storage.models import drill, ledger, sandbox  # noqa: E402,F401  isort: skip

__all__ = ["Base", "LabProgress", "Learner", "Message"]
