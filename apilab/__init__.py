"""apilab: a self-hostable lab for building production-grade apps on AI APIs.

The public surface is deliberately small; engines live in subpackages
(``content``, ``assistant``, ``calls``, ``providers``, ``pricing``, ``sandbox``,
``secretscan``, ``storage``) and the front doors are ``cli`` and ``web``.
"""

from apilab.errors import ApilabError
from apilab.settings import Settings, get_settings

__version__ = "0.1.0"

__all__ = ["ApilabError", "Settings", "__version__", "get_settings"]
