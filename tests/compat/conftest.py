"""The compatibility suite's client tests run in their own venvs, never in this one.

``clients/`` imports LiteLLM, LangChain, pydantic-ai, instructor, the Agents SDK
and ``llm``, which are not installed here (their pins conflict with the project's);
``test_clients.py`` runs them in ``.venv-compat`` and ``.venv-compat-instructor``.
"""

collect_ignore = ["clients"]
