"""The tenth pass (issue 16): forms behind the fresh corpus' dev-half misses and false hits
that recur beyond the services they were seen with, each with a found and a quiet case.

Keys are assembled at run time from seeded random pieces, so this file holds no key-shaped
string (the weak passwords below are words, which no scanner reads as keys).
"""

from __future__ import annotations

import pytest

from tests.secretscan.keys import rules_found as _rules
from tests.secretscan.keys import seeded_text


def _r(alphabet: str, n: int, seed: int = 10) -> str:
    return seeded_text(alphabet, n, seed)


# --- PsExec's -p takes the password, even one word ------------------------------------------


@pytest.mark.parametrize("text", [
    r"PSEXEC.EXE \\fileserver -u DOMAIN\ops -p whiteduke CMD",
    r'system("psexec \\\\10.0.0.7 -u Administrator -p blooberry shutdown -r");',
    r"cmd.exe /C PsExec \\build01 -u Administrator -p ops_night CMD /C ECHO",
])
def test_a_word_after_psexec_dash_p_is_a_password(text: str) -> None:
    assert _rules(text, "deploy.bat") == ["cli-password"], text


@pytest.mark.parametrize("text", [
    r"psexec \\host -u User -p $Password -i -d calc.exe",        # a variable
    r"PsExec.exe \\host -u ADMIN -p %nothing% -i 2 -c",         # a Windows variable
    r"psexec \\host -u admin -p PASSWORD cmd",                  # a placeholder
    r"psexec \\host -u admin -p password cmd",
    r"psexec \\host -u admin -p admin cmd",                     # a default
    "mysql -u root -p inventory",                               # not PsExec: -p prompts
    "run -u root -p inventory # then psexec later",             # PsExec after the -p
])
def test_psexec_references_and_other_commands_stay_quiet(text: str) -> None:
    assert _rules(text, "deploy.bat") == [], text
