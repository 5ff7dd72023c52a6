"""Staged and history scanning in real (temporary) git repositories."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from apilab.errors import InvalidInputError
from apilab.secretscan import files, git, hook
from tests.secretscan.gitrepo import GitRepo, git_env
from tests.secretscan.keys import make_key, make_private_key


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:  # type: ignore[no-untyped-def]
    git_env(monkeypatch)
    r = GitRepo(tmp_path / "repo")
    r.write(".gitignore", ".env\n")
    r.write("README.md", "# demo\n")
    r.commit("init")
    return r


def test_staged_scans_only_what_is_staged(repo: GitRepo) -> None:
    rng = random.Random(1)
    old, staged, unstaged = (make_key("openai-project-key", rng) for _ in range(3))
    repo.write("old.py", f'KEY = "{old}"\n')
    repo.commit("old secret (already in history)")
    repo.write("app.py", f'import os\n\nclient = Client(api_key="{staged}")\n')
    repo.git("add", "app.py")
    repo.write("app.py", f'import os\n\nclient = Client(api_key="{staged}")\nB = "{unstaged}"\n')
    report = files.scan_staged(repo.root)
    assert [(f.path, f.line, f.rule) for f in report.findings] == [
        ("app.py", 3, "openai-project-key")
    ]
    assert report.mode == "staged"


def test_staged_reports_new_line_numbers_in_modified_files(repo: GitRepo) -> None:
    repo.write("cfg.py", "".join(f"x{i} = {i}\n" for i in range(10)))
    repo.commit("cfg")
    key = make_key("google-api-key", random.Random(2))
    lines = (repo.root / "cfg.py").read_text().splitlines()
    lines.insert(6, f'GEMINI_API_KEY = "{key}"')
    repo.write("cfg.py", "\n".join(lines) + "\n")
    repo.git("add", "cfg.py")
    (finding,) = files.scan_staged(repo.root).findings
    assert (finding.path, finding.line) == ("cfg.py", 7)


def test_staged_env_file_is_flagged(repo: GitRepo) -> None:
    repo.write("config/prod.env", "DEBUG=false\n")
    repo.git("add", "-f", "config/prod.env")
    rules = [f.rule for f in files.scan_staged(repo.root).findings]
    assert rules == ["env-file-tracked"]


def test_history_finds_a_secret_that_was_removed(repo: GitRepo) -> None:
    key = make_key("anthropic-api-key", random.Random(3))
    repo.write("settings.py", f'ANTHROPIC_API_KEY = "{key}"\n')
    added = repo.commit("add key")
    repo.write("settings.py", 'import os\nANTHROPIC_API_KEY = os.environ["ANTHROPIC_API_KEY"]\n')
    repo.commit("remove key")
    assert files.scan_paths([repo.root]).findings == []  # the working tree is clean now
    report = files.scan_history(repo.root)
    (finding,) = report.findings
    assert finding.commit == added and finding.line == 1 and finding.rule == "anthropic-api-key"


def test_history_reports_each_secret_once_at_its_first_commit(repo: GitRepo) -> None:
    key = make_key("huggingface-token", random.Random(4))
    repo.write("a.py", f'T = "{key}"\n')
    first = repo.commit("one")
    repo.write("a.py", f'# moved\nT = "{key}"\n')
    repo.commit("two")
    findings = files.scan_history(repo.root).findings
    assert [(f.commit, f.rule) for f in findings] == [(first, "huggingface-token")]


def test_history_finds_multiline_private_key_blocks(repo: GitRepo) -> None:
    repo.write("deploy/id_rsa", make_private_key(random.Random(5)) + "\n")
    repo.commit("oops")
    (finding,) = files.scan_history(repo.root).findings
    assert (finding.rule, finding.path, finding.line) == ("private-key", "deploy/id_rsa", 1)


def test_history_of_an_empty_repo_is_clean(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    git_env(monkeypatch)
    empty = GitRepo(tmp_path / "empty")
    assert files.scan_history(empty.root).findings == []


def test_not_a_repository_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="not inside a git repository"):
        files.scan_staged(tmp_path)


def test_folder_scan_skips_ignored_files_and_flags_tracked_env(repo: GitRepo) -> None:
    rng = random.Random(6)
    repo.write(".env", f"OPENAI_API_KEY={make_key('openai-project-key', rng)}\n")  # ignored
    repo.write("deploy/.env.production", "DEBUG=false\n")
    repo.git("add", "-f", "deploy/.env.production")
    repo.commit("env")
    report = files.scan_paths([repo.root])
    assert [f.rule for f in report.findings] == ["env-file-tracked"]
    assert report.findings[0].path.endswith("deploy/.env.production")
    with_ignored = files.scan_paths([repo.root], include_ignored=True)
    assert "openai-project-key" in {f.rule for f in with_ignored.findings}


def test_gitignore_without_env_is_flagged_at_repo_root(repo: GitRepo) -> None:
    repo.write(".gitignore", "__pycache__/\n")
    rules = [f.rule for f in files.scan_paths([repo.root]).findings]
    assert rules == ["gitignore-missing-env"]


def test_parse_diff_tracks_paths_commits_and_line_numbers() -> None:
    diff = (
        "commit:abc\ndiff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,0 +2,2 @@\n+one\n+two\n@@ -9 +11 @@\n-old\n+new\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
    )
    hunks = git.parse_diff(diff)
    assert [(h.path, h.start_line, h.lines, h.commit) for h in hunks] == [
        ("x.py", 2, ["one", "two"], "abc"),
        ("x.py", 11, ["new"], "abc"),
    ]


def test_installed_hook_refuses_a_commit_with_a_key(repo: GitRepo) -> None:
    target = hook.install_hook(repo.root)
    assert target.exists() and sys.executable in target.read_text()
    assert hook.install_hook(repo.root) == target  # reinstalling our own hook is fine
    repo.write("leak.py", f'K = "{make_key("groq-api-key", random.Random(7))}"\n')
    repo.git("add", "leak.py")
    result = repo.git("commit", "-q", "-m", "leak", check=False)
    assert result.returncode != 0
    assert "groq-api-key" in result.stdout + result.stderr
    repo.write("leak.py", "import os\nK = os.environ['GROQ_API_KEY']\n")
    repo.git("add", "leak.py")
    assert repo.git("commit", "-q", "-m", "fixed", check=False).returncode == 0


def test_install_hook_keeps_someone_elses_hook(repo: GitRepo) -> None:
    hooks = repo.root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(InvalidInputError, match="already exists"):
        hook.install_hook(repo.root)
    assert (hooks / "pre-commit").read_text() == "#!/bin/sh\necho mine\n"


def test_git_missing_binary_message(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", boom)
    with pytest.raises(InvalidInputError, match="git is not installed"):
        git.tracked_paths(tmp_path)


def test_hook_module_main_exit_codes(repo: GitRepo, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert hook.main([str(repo.root)]) == 0
    repo.write("k.py", f'K = "{make_key("xai-api-key", random.Random(8))}"\n')
    repo.git("add", "k.py")
    assert hook.main([str(repo.root)]) == 1
    err = capsys.readouterr().err
    assert "xai-api-key" in err and "commit refused" in err
    assert hook.main([str(tmp_path / "not-a-repo")]) == 2
