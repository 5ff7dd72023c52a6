"""The offline tutor's data files load without a key given twice (YAML keeps the last one
silently: a second ``anthropic_system_role`` once hid the first's cards)."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml


class _NoDuplicates(yaml.SafeLoader):
    pass


def _mapping(loader: _NoDuplicates, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_NoDuplicates.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

RULES = resources.files("apilab.assistant.offline") / "rules"


@pytest.mark.parametrize("name", sorted(p.name for p in RULES.iterdir()
                                        if p.name.endswith(".yaml")))
def test_a_rules_file_has_no_key_twice(name: str) -> None:
    yaml.load((RULES / name).read_text(encoding="utf-8"), Loader=_NoDuplicates)  # noqa: S506


def test_no_source_or_data_file_holds_a_control_character() -> None:
    """A backspace where a regex meant ``\\b`` (written through a non-raw string) compiles
    and silently never matches: guard every source and data file of the package."""
    import pathlib

    import apilab

    root = pathlib.Path(apilab.__file__).parent
    bad = [str(p.relative_to(root)) for p in root.rglob("*")
           if p.suffix in (".py", ".yaml", ".md") and any(
               c in p.read_text(encoding="utf-8") for c in "\x00\x07\x08\x0b\x0c")]
    assert bad == []
