"""``PromptLab``: one learner's prompt versions and test cases, checked before they are stored.

Versions are append-only (saving and restoring both add a version), so a diff
or a comparison always refers to text that still exists. Templates may use
``{{input}}`` (the case's text) and ``{{canary}}`` (the injection pack's
marker) only; a schema must be a JSON Schema the untrusted-schema validator
accepts; assertions are parsed by the eval runner's own parser. Anything else
is an ``InvalidInputError`` that names the problem, and nothing is stored.

Runs and comparisons live in ``runs.py``; this module owns the data.
"""

from __future__ import annotations

import difflib
import functools
import json
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, Field

from apilab.errors import ConfigError, InvalidInputError, NotFoundError
from apilab.evals.config import parse_assertion
from apilab.evals.template import _unsupported, variables

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database
    from apilab.storage.models.promptlab import PromptCase, PromptVersion

__all__ = ["MAX_CASES", "MAX_VERSIONS", "CaseIn", "PromptLab", "VersionIn", "starter"]

MAX_VERSIONS = 50
MAX_CASES = 60
TEMPLATE_VARS = ("input", "canary")
OutputMode = Literal["text", "json_object", "json_schema"]


class VersionIn(BaseModel):
    """A prompt version as the editor sends it."""

    name: str = Field(min_length=1, max_length=100)
    system: str = Field(default="", max_length=20_000)
    user_template: str = Field(default="{{input}}", min_length=1, max_length=5_000)
    output_mode: OutputMode = "text"
    schema_text: str = Field(default="", max_length=50_000)
    rules: str = Field(default="", max_length=5_000)
    max_tokens: int = Field(default=300, ge=1, le=4096)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    note: str = Field(default="", max_length=300)


class CaseIn(BaseModel):
    """A test case as the page sends it: input text and promptfoo-style assertions."""

    name: str = Field(min_length=1, max_length=120)
    kind: Literal["ordinary", "edge", "injection"] = "ordinary"
    input: str = Field(min_length=1, max_length=10_000)
    asserts: list[dict[str, Any]] = Field(default_factory=list, max_length=10)


@functools.cache
def starter() -> dict[str, Any]:
    """v1 (lesson 4's support prompt) and the starter cases (package data)."""
    text = (resources.files("apilab.promptlab") / "starter.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def parse_schema(text: str) -> dict[str, Any]:
    """The version's JSON Schema, or an ``InvalidInputError`` saying what is wrong."""
    import jsonschema

    from apilab.evals.schema import validator_for_untrusted

    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"The JSON Schema is not valid JSON: {exc.msg} at line "
                                f"{exc.lineno}.") from None
    if not isinstance(schema, dict):
        raise InvalidInputError("The JSON Schema must be an object, e.g. {\"type\": \"object\"}.")
    try:
        validator_for_untrusted(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidInputError(f"The JSON Schema is invalid: {exc.message}") from None
    return schema


def _check_template(text: str, where: str) -> None:
    bad = _unsupported(text)
    if bad is not None:
        raise InvalidInputError(f"The {where} uses {bad!r}: templates support {{{{input}}}} "
                                "and {{canary}} only.")
    unknown = [v for v in variables(text) if v not in TEMPLATE_VARS]
    if unknown:
        raise InvalidInputError(f"The {where} uses {{{{{unknown[0]}}}}}: the workbench "
                                "defines {{input}} (the case's text) and {{canary}} only.")


def check_version(data: VersionIn) -> None:
    """Refuse a version the runner could not use (nothing is stored)."""
    _check_template(data.system, "system prompt")
    _check_template(data.user_template, "user message template")
    if data.output_mode == "json_schema":
        parse_schema(data.schema_text)
    if data.output_mode == "json_object" and "json" not in (data.system + data.user_template
                                                            ).lower():
        raise InvalidInputError("JSON mode needs the word JSON in the prompt (OpenAI refuses "
                                "the request otherwise): say what JSON to return.")


def check_asserts(asserts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse each assertion with the runner's parser; llm-rubric has no grader here."""
    for i, item in enumerate(asserts):
        try:
            a = parse_assertion(item, f"assertion {i + 1}")
        except ConfigError as exc:
            raise InvalidInputError(str(exc)) from None
        if a.type in ("llm-rubric", "apilab:tutor-checks"):
            raise InvalidInputError(f"assertion {i + 1}: {a.type} is not available in the "
                                    "workbench; use a deterministic check.")
    return asserts


def version_dict(v: PromptVersion) -> dict[str, Any]:
    return {"id": v.id, "number": v.number, "label": f"v{v.number}", "name": v.name,
            "system": v.system, "user_template": v.user_template,
            "output_mode": v.output_mode, "schema_text": v.schema_text, "rules": v.rules,
            "max_tokens": v.max_tokens, "temperature": float(v.temperature), "note": v.note,
            "restored_from": v.restored_from, "created_at": v.created_at.isoformat()}


def case_dict(c: PromptCase) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "kind": c.kind, "input": c.input,
            "asserts": c.asserts, "pack_case": c.pack_case, "explain": c.explain}


def _version_text(v: PromptVersion) -> list[str]:
    lines = [f"name: {v.name}", f"output: {v.output_mode}", f"max_tokens: {v.max_tokens}",
             f"temperature: {v.temperature}", "--- system prompt", *v.system.splitlines(),
             "--- user message", *v.user_template.splitlines()]
    if v.output_mode == "json_schema":
        lines += ["--- JSON schema", *v.schema_text.splitlines()]
    if v.rules.strip():
        lines += ["--- business rules", *v.rules.splitlines()]
    return lines


class PromptLab:
    """The workbench for the learners of one database (one per app)."""

    def __init__(self, db: Database, settings: Settings, sandbox_app: Any = None) -> None:
        self.db = db
        self.settings = settings
        self.sandbox_app = sandbox_app
        self.running: set[str] = set()  # learners with a run in progress (one each)

    def _learner(self, session: Any, handle: str) -> int:
        from apilab.storage.conversations import get_or_create_learner

        return get_or_create_learner(session, handle).id

    def _ensure_started(self, session: Any, learner_id: int) -> None:
        """A learner's first visit gets v1 and the starter cases."""
        from apilab.storage import promptlab as repo

        if repo.list_versions(session, learner_id):
            return
        data = starter()
        repo.add_version(session, learner_id, note="from lesson 4", **{
            k: data["version"][k] for k in ("name", "system", "user_template", "output_mode",
                                            "schema_text", "rules", "max_tokens")})
        for case in data["cases"]:
            repo.add_case(session, learner_id, name=case["name"], kind=case["kind"],
                          input=case["input"], asserts=case["assert"])

    # --- reads -------------------------------------------------------------------------
    def state(self, handle: str) -> dict[str, Any]:
        """Versions, cases, recent runs and the providers a run may use."""
        from apilab.evals.packs import injection_cases
        from apilab.promptlab.runs import run_dict, targets
        from apilab.storage import promptlab as repo

        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            self._ensure_started(session, learner_id)
            versions = [version_dict(v) for v in repo.list_versions(session, learner_id)]
            cases = [case_dict(c) for c in repo.list_cases(session, learner_id)]
            runs = [run_dict(r, with_results=False)
                    for r in repo.latest_runs(session, learner_id)]
        return {"versions": versions, "cases": cases, "runs": runs,
                "targets": targets(self.settings),
                "pack": [{"id": c["id"], "title": c["title"], "kind": c["kind"]}
                         for c in injection_cases()],
                "running": handle in self.running}

    def _version(self, session: Any, learner_id: int, version_id: int) -> PromptVersion:
        from apilab.storage import promptlab as repo

        version = repo.get_version(session, learner_id, version_id)
        if version is None:
            raise NotFoundError(f"No prompt version {version_id}.")
        return version

    def diff(self, handle: str, a: int, b: int) -> dict[str, Any]:
        """A unified diff from version ``a`` to version ``b``."""
        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            va, vb = self._version(session, learner_id, a), self._version(session, learner_id, b)
            lines = list(difflib.unified_diff(_version_text(va), _version_text(vb),
                                              f"v{va.number}", f"v{vb.number}", lineterm="",
                                              n=3))
            return {"a": f"v{va.number}", "b": f"v{vb.number}", "lines": lines}

    # --- writes ------------------------------------------------------------------------
    def save_version(self, handle: str, data: VersionIn,
                     restored_from: int | None = None) -> dict[str, Any]:
        """Store a new version (checked first)."""
        from apilab.storage import promptlab as repo

        check_version(data)
        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            self._ensure_started(session, learner_id)
            if len(repo.list_versions(session, learner_id)) >= MAX_VERSIONS:
                raise InvalidInputError(f"You have {MAX_VERSIONS} versions, the most the "
                                        "workbench keeps.")
            fields = data.model_dump()
            fields["temperature"] = Decimal(str(fields["temperature"]))
            version = repo.add_version(session, learner_id, restored_from=restored_from,
                                       **fields)
            return version_dict(version)

    def restore(self, handle: str, version_id: int) -> dict[str, Any]:
        """Make an old version current again, as a new version (history is never rewritten)."""
        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            old = version_dict(self._version(session, learner_id, version_id))
        data = VersionIn(**{k: old[k] for k in VersionIn.model_fields if k in old})
        data.note = f"restored from {old['label']}"
        return self.save_version(handle, data, restored_from=old["number"])

    def add_case(self, handle: str, data: CaseIn) -> dict[str, Any]:
        from apilab.storage import promptlab as repo

        check_asserts(data.asserts)
        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            if repo.count_cases(session, learner_id) >= MAX_CASES:
                raise InvalidInputError(f"You have {MAX_CASES} cases, the most a run takes.")
            case = repo.add_case(session, learner_id, name=data.name, kind=data.kind,
                                 input=data.input, asserts=data.asserts)
            return case_dict(case)

    def delete_case(self, handle: str, case_id: int) -> None:
        from apilab.storage import promptlab as repo

        with self.db.session() as session:
            if not repo.delete_case(session, self._learner(session, handle), case_id):
                raise NotFoundError(f"No case {case_id}.")

    def add_pack(self, handle: str) -> dict[str, Any]:
        """Add every injection-pack case the learner does not have yet (one click)."""
        from apilab.evals.packs import injection_cases
        from apilab.storage import promptlab as repo

        with self.db.session() as session:
            learner_id = self._learner(session, handle)
            self._ensure_started(session, learner_id)
            have = {c.pack_case for c in repo.list_cases(session, learner_id)}
            room = MAX_CASES - repo.count_cases(session, learner_id)
            added = []
            for case in injection_cases():
                if case["id"] in have or room <= 0:
                    continue
                repo.add_case(session, learner_id, name=case["title"], kind="injection",
                              input=case["input"], asserts=case["assert"],
                              pack_case=case["id"], explain=case["explain"])
                added.append(case["id"])
                room -= 1
            return {"added": added}
