"""A command-line option's dashes (or slash) start a word; inside a compound they do not."""

from __future__ import annotations

import pytest

from apilab.secretscan import find_secrets


@pytest.mark.parametrize("text", [
    "# then follow-up and QA-pass fixes: dev 417/474 (88.0%), held-out\n",
    '"UI username/password login. Default is False."\n',
    "Set this instead of the discrete host/port/username/password fields.\n",
])
def test_a_dash_or_slash_inside_a_compound_is_prose_not_an_option(text: str) -> None:
    assert find_secrets(text, "notes.yaml") == []


@pytest.mark.parametrize("text", [
    "mysql -u root --password hunter2xyz\n",
    "run.sh -password s3cr3tPa55\n",
    "net use Z: \\\\server\\share /password Wint3rIsC0ming\n",
])
def test_an_option_after_a_space_still_takes_its_value(text: str) -> None:
    assert [f.rule for f in find_secrets(text, "run.sh")] == ["generic-password"]
