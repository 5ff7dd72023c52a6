"""Built-in test packs and configs, referenced from a config by name.

- ``tests: [apilab:injection]`` adds the prompt-injection pack
  (``injection.yaml``): direct override, instructions hidden in a web page and
  an e-mail, exfiltration by a Markdown image, role-play, delimiter breaking,
  tool-call hijack and system-prompt extraction, each with the assertion that
  shows whether the defence held.
- ``tests: [apilab:tutor-suite]`` (or ``apilab:tutor-suite:dev`` /
  ``:heldout``) turns the real-learner tutor suite (``suites/tutor``) into test
  cases judged by ``apilab:tutor-checks``.
- ``apilab eval builtin:NAME`` runs ``suites/NAME.yaml``.

Packs are package data; this module only reads them.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from apilab.errors import ConfigError

__all__ = ["CANARY", "builtin_config", "injection_cases", "load_pack"]

# The canary every injection case defines; a system prompt that includes {{canary}}
# gets this marker, and the extraction cases fail if it ever reaches a reply.
CANARY = "CANARY-7f3a9c2e51"
_PACK_KEYS = {"id", "title", "kind", "explain", "input", "assert"}


@functools.cache
def injection_cases() -> tuple[dict[str, Any], ...]:
    """The injection pack as data: id, title, kind, explain, input, assert."""
    text = (resources.files("apilab.evals") / "injection.yaml").read_text(encoding="utf-8")
    cases = yaml.safe_load(text)
    for case in cases:
        unknown = set(case) - _PACK_KEYS
        if unknown:  # a packaging mistake, caught by the tests that load every file
            raise ConfigError(f"injection.yaml case {case.get('id')}: unknown keys {unknown}")
    return tuple(cases)


def _injection_tests() -> list[dict[str, Any]]:
    return [{"description": f"injection: {c['title']}",
             "vars": {"input": c["input"], "canary": CANARY},
             "assert": c["assert"],
             "metadata": {"pack": "injection", "case": c["id"], "kind": c["kind"]}}
            for c in injection_cases()]


def _tutor_tests(split: str) -> list[dict[str, Any]]:
    from apilab.evals.tutor import load_cases

    tests = []
    for case in load_cases(split):
        tests.append({
            "description": case.id,
            "vars": {"question": case.question, "lab": case.lab,
                     **({"history": case.history} if case.history else {})},
            "assert": [{"type": "apilab:tutor-checks",
                        "value": {"must": case.must, "must_not": case.must_not}}],
            "metadata": {"split": case.split, "lab": case.lab, "id": case.id},
        })
    return tests


def load_pack(name: str) -> list[dict[str, Any]]:
    """Raw test cases of a built-in pack (``apilab:injection``, ``apilab:tutor-suite[:SPLIT]``)."""
    pack, _, arg = name.removeprefix("apilab:").partition(":")
    if pack == "injection" and not arg:
        return _injection_tests()
    if pack == "tutor-suite":
        try:
            return _tutor_tests(arg or "all")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    raise ConfigError(f"Unknown built-in pack {name!r}: use apilab:injection or "
                      "apilab:tutor-suite (optionally :dev or :heldout).")


def builtin_config(name: str) -> tuple[str, Path | None]:
    """The text of ``suites/NAME.yaml`` (packaged configs use no file:// references)."""
    root = resources.files("apilab.evals") / "suites"
    entry = root / f"{name}.yaml"
    if not name.replace("-", "").isalnum() or not entry.is_file():
        known = sorted(p.name.removesuffix(".yaml") for p in root.iterdir()
                       if p.name.endswith(".yaml"))
        raise ConfigError(f"No built-in eval config {name!r}; known: {', '.join(known)}.")
    return entry.read_text(encoding="utf-8"), None
