"""Build the outside corpus: labelled samples from other scanners' own test suites.

Reads local copies of four projects (a git directory or a checkout each) and
turns their test data into ``Sample`` records, each with its upstream path and
commit and the upstream label (secret or not):

- gitleaks (MIT): every rule's ``tps``/``fps`` in ``cmd/generate/config/rules/*.go``;
- trufflehog (AGPL-3.0): the ``input``/``want`` tables of ``pkg/detectors/*/*_test.go``;
- detect-secrets (Apache-2.0): the parametrised lines of ``tests/plugins/*_test.py``;
- CredSweeper (MIT): ``tests/samples/*`` with the lines its ``tests/data/output.json``
  reports as positives (every other line of a sample file is a negative).

Nothing upstream is executed: Go is read by ``goeval``, Python by ``ast``.
``python -m tests.secretscan.outside.extract --help`` writes the JSON cache the
bench and tests read. Which samples are debatable is decided in ``debatable.yaml``,
not here.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import gzip
import hashlib
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.secretscan.outside.goeval import GoEval, Unsupported, tokenize

__all__ = ["SOURCES", "Sample", "Upstream", "extract_all"]

SOURCES = {
    "gitleaks": {"repo": "gitleaks/gitleaks", "license": "MIT", "commit_ok": True},
    "trufflehog": {"repo": "trufflesecurity/trufflehog", "license": "AGPL-3.0", "commit_ok": False},
    "detect-secrets": {"repo": "Yelp/detect-secrets", "license": "Apache-2.0", "commit_ok": True},
    "credsweeper": {"repo": "Samsung/CredSweeper", "license": "MIT", "commit_ok": True},
}


@dataclasses.dataclass
class Sample:
    """One labelled sample: a small file's text and whether upstream calls it a secret.

    ``lines`` (1-based) are the lines a finding must be on to count for a positive;
    empty means anywhere in the text. ``rule`` is the upstream rule or detector.
    """

    id: str
    source: str
    upstream_path: str
    commit: str
    rule: str
    text: str
    positive: bool
    filename: str = "sample.txt"
    lines: list[int] = dataclasses.field(default_factory=list)
    secrets: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Upstream:
    """Read files of one upstream project from a git directory (bare or not) or a checkout."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.is_git = (self.path / "HEAD").is_file() and (self.path / "objects").is_dir()
        if not self.is_git and (self.path / ".git").exists():
            self.is_git = False
        self.commit = self._commit()

    def _git(self, *args: str) -> str:
        git_dir = self.path if self.is_git else self.path / ".git"
        proc = subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True,
                              check=True)
        return proc.stdout.decode("utf-8", "replace")

    def _commit(self) -> str:
        try:
            return self._git("rev-parse", "HEAD").strip()
        except (subprocess.CalledProcessError, FileNotFoundError):
            return "unknown"

    def files(self, prefix: str) -> list[str]:
        if self.is_git:
            listing = self._git("ls-tree", "-r", "--name-only", "HEAD", prefix)
            return [p for p in listing.splitlines() if p]
        root = self.path
        return sorted(p.relative_to(root).as_posix() for p in (root / prefix).rglob("*")
                      if p.is_file())

    def read_bytes(self, rel: str) -> bytes:
        if self.is_git:
            git_dir = self.path
            return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"HEAD:{rel}"],
                                  capture_output=True, check=True).stdout
        return (self.path / rel).read_bytes()

    def read(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8", "replace")


def _sid(source: str, path: str, key: str) -> str:
    digest = hashlib.sha256(f"{path}\0{key}".encode()).hexdigest()[:10]
    return f"{source}:{digest}"


# --- gitleaks -----------------------------------------------------------------------------
_FUNC = re.compile(r"^func (\w+)\(\) \*config\.Rule \{", re.M)


class _Rotation:
    """Keep 3 of GenerateSampleSecrets' ~26 forms per call, rotating through all of them."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, forms: list[str]) -> list[str]:
        picked = [forms[(self.n + k) % len(forms)] for k in range(3)]
        self.n += 3
        return picked


def gitleaks_samples(up: Upstream) -> Iterator[Sample]:
    rng = random.Random(16)
    rotate = _Rotation()
    for rel in up.files("cmd/generate/config/rules"):
        if not rel.endswith(".go") or rel.endswith("_test.go"):
            continue
        src = up.read(rel)
        starts = [m.start() for m in _FUNC.finditer(src)] + [len(src)]
        for a, b in zip(starts, starts[1:], strict=False):
            body = src[a:b]
            rule_m = re.search(r'RuleID:\s*"([^"]+)"', body)
            if not rule_m or "utils.Validate(" not in body:
                continue
            rule = rule_m.group(1)
            toks = tokenize(body)
            scope = _go_scope(toks, rng, rotate)
            call = re.search(r"utils\.Validate\(\s*\w+,\s*(\w+),\s*(\w+)\)", body)
            if not call:
                continue
            for name, positive in ((call.group(1), True), (call.group(2), False)):
                values = scope.get(name)
                if not isinstance(values, list):
                    continue
                for i, text in enumerate(values):
                    if not isinstance(text, str) or not text.strip():
                        continue
                    yield Sample(_sid("gitleaks", rel, f"{rule}\0{positive}\0{i}\0{text}"),
                                 "gitleaks", rel, up.commit, rule, text, positive)


def _go_scope(toks: list[tuple[str, str]], rng: random.Random,
              rotate: _Rotation | None = None, scope: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """Evaluate every ``name := expr`` / ``name = expr`` / ``const name = expr`` we can."""
    scope = {} if scope is None else scope
    i = 0
    while i < len(toks) - 2:
        kind, text = toks[i]
        op = toks[i + 1][1]
        if kind == "ident" and op in (":=", "=") and (i == 0 or toks[i - 1][1] not in (".", ",")):
            ev = GoEval(toks, scope, rng, rotate)
            ev.pos = i + 2
            try:
                value = ev.expr()
            except (Unsupported, IndexError, ValueError):
                i += 2
                continue
            scope[text] = value
            i = ev.pos
            continue
        i += 1
    return scope


# --- trufflehog ---------------------------------------------------------------------------
TRUFFLEHOG_DETECTORS = (
    "anthropic", "openai", "openaiadmin", "azure_openai", "deepseek", "groq", "huggingface",
    "langsmith", "openrouter", "replicate", "xai", "gemini", "googlegemini", "mistral",
    "cohere", "perplexity", "togetherai", "fireworksai", "elevenlabs", "voyageai",
    "slack", "slackwebhook", "stripe", "github/v1", "github/v2", "gitlab/v2", "gitlab/v1",
    "privatekey", "aws/access_keys", "aws/session_keys", "npmtoken", "npmtokenv2", "sendgrid",
    "twilio", "uri", "jdbc", "mailgun", "discordwebhook", "telegrambottoken", "pypi",
    "azure_entra/serviceprincipal/v2", "gcp", "digitaloceanv2", "herokuv2", "shopify",
    "mongodb", "postgres", "redis", "ftp", "ldap", "jwt", "sentrytoken", "datadogtoken",
    "netlify", "linearapi", "notion", "figmapersonalaccesstoken", "doppler", "dockerhub",
)


def trufflehog_samples(up: Upstream, detectors: tuple[str, ...] = TRUFFLEHOG_DETECTORS
                       ) -> Iterator[Sample]:
    rng = random.Random(17)
    listed = up.files("pkg/detectors")
    for det in detectors:
        prefix = f"pkg/detectors/{det}/"
        for rel in listed:
            if not rel.startswith(prefix) or "/" in rel[len(prefix):]:
                continue
            if not rel.endswith("_test.go") or "integration" in rel:
                continue
            toks = tokenize(up.read(rel))
            scope = _go_scope(toks, rng)
            for n, (inp, want) in enumerate(_table_entries(toks, scope, rng)):
                secrets = [w for w in want if isinstance(w, str)]
                yield Sample(_sid("trufflehog", rel, f"{n}\0{inp}"), "trufflehog", rel,
                             up.commit, det, inp, bool(secrets), secrets=secrets)


def _table_entries(toks: list[tuple[str, str]], scope: dict[str, Any], rng: random.Random
                   ) -> Iterator[tuple[str, list[Any]]]:
    """(input, want) of every ``{ ... input: X, want: Y ... }`` table entry we can evaluate."""
    for i in range(len(toks) - 2):
        if toks[i] != ("ident", "input") or toks[i + 1][1] != ":":
            continue
        ev = GoEval(toks, scope, rng)
        ev.pos = i + 2
        try:
            inp = ev.expr()
        except (Unsupported, IndexError, ValueError):
            continue
        if not isinstance(inp, str):
            continue
        # find the entry's "want:" before the entry closes
        depth = 0
        j = ev.pos
        want: list[Any] | None = None
        while j < len(toks):
            t = toks[j][1]
            if t in "{([" and toks[j][0] == "op":
                depth += 1
            elif t in "})]" and toks[j][0] == "op":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and toks[j] == ("ident", "want") and toks[j + 1][1] == ":":
                ev2 = GoEval(toks, scope, rng)
                ev2.pos = j + 2
                if toks[j + 2][1] == "nil":
                    want = []
                else:
                    try:
                        value = ev2.expr()
                    except (Unsupported, IndexError, ValueError):
                        value = None
                    want = value if isinstance(value, list) else None
                break
            j += 1
        if want is None:
            continue
        yield inp, want


# --- detect-secrets -----------------------------------------------------------------------
class _PyEval:
    """Evaluate the literal-ish expressions detect-secrets' tests use."""

    def __init__(self, names: dict[str, Any]):
        self.names = names

    def ev(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            raise Unsupported(node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            return [self.ev(e) for e in node.elts]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.ev(node.left) + self.ev(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.ev(node.left) * self.ev(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self.ev(node.left) % tuple(self.ev(node.right)) if isinstance(
                node.right, ast.Tuple) else self.ev(node.left) % self.ev(node.right)
        if isinstance(node, ast.Subscript):
            base = self.ev(node.value)
            if isinstance(node.slice, ast.Slice):
                lo = self.ev(node.slice.lower) if node.slice.lower else None
                hi = self.ev(node.slice.upper) if node.slice.upper else None
                return base[lo:hi]
            return base[self.ev(node.slice)]
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    parts.append(str(self.ev(v.value)))
            return "".join(parts)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format":
                base = self.ev(node.func.value)
                args = [self.ev(a) for a in node.args]
                kwargs = {k.arg: self.ev(k.value) for k in node.keywords if k.arg}
                return base.format(*args, **kwargs)
            if node.func.attr in ("join",):
                return self.ev(node.func.value).join(self.ev(node.args[0]))
            if node.func.attr == "dedent":
                import textwrap
                return textwrap.dedent(self.ev(node.args[0]))
        raise Unsupported(ast.dump(node)[:60])


# A single-argument parametrised test asserts one finding per case unless its name says
# the cases are negatives (IBM's fork: ``test_analyze_javascript_negatives``...).
_NEGATIVE_TEST = re.compile(r"negative|exclude|failure|ignore", re.I)


def detect_secrets_samples(up: Upstream) -> Iterator[Sample]:
    for rel in up.files("tests/plugins"):
        if not rel.endswith("_test.py") or "/common/" in rel:
            continue  # common/: tests of helper filters, not of a detector
        tree = ast.parse(up.read(rel))
        names: dict[str, Any] = {}
        ev = _PyEval(names)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                    node.targets[0], ast.Name):
                with contextlib.suppress(Unsupported, TypeError, KeyError, IndexError,
                                         ValueError):
                    names[node.targets[0].id] = ev.ev(node.value)
        plugin = rel.rsplit("/", 1)[1].removesuffix("_test.py")
        n = 0
        test_of: dict[int, str] = {}
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in fn.decorator_list:
                    test_of[id(dec)] = fn.name
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize"
                    and len(node.args) >= 2):
                continue
            negative_test = bool(_NEGATIVE_TEST.search(test_of.get(id(node), "")))
            try:
                argnames = ev.ev(node.args[0])
            except Unsupported:
                continue
            if isinstance(argnames, str):
                argnames = [a.strip() for a in argnames.split(",")]
            try:
                cases = ev.ev(node.args[1])
            except (Unsupported, TypeError, KeyError, IndexError, ValueError):
                cases = _lenient_cases(ev, node.args[1])
            for case in cases:
                sample = _ds_case(argnames, case)
                if sample is None:
                    continue
                text, positive = sample
                if negative_test and len(argnames) == 1:
                    positive = False
                n += 1
                yield Sample(_sid("detect-secrets", rel, f"{n}\0{text}"), "detect-secrets", rel,
                             up.commit, plugin, text, positive)


def _lenient_cases(ev: _PyEval, node: ast.AST) -> list[Any]:
    out: list[Any] = []
    if isinstance(node, (ast.List, ast.Tuple)):
        for e in node.elts:
            try:
                out.append(ev.ev(e))
            except (Unsupported, TypeError, KeyError, IndexError, ValueError):
                continue
    return out


_LINE_ARGS = ("payload", "line", "file_content", "secret", "token", "content")


def _ds_case(argnames: list[str], case: Any) -> tuple[str, bool] | None:
    """(text, positive) from one parametrize case, or None when it is not a scan sample."""
    if len(argnames) == 1:
        if argnames[0] in _LINE_ARGS and isinstance(case, str):
            return case, True  # single-argument tests assert one finding each
        if isinstance(case, list) and len(case) == 1 and isinstance(case[0], str):
            return case[0], True
        return None
    if not isinstance(case, list) or len(case) != len(argnames):
        return None
    values = dict(zip(argnames, case, strict=True))
    text = next((values[a] for a in _LINE_ARGS if isinstance(values.get(a), str)), None)
    if text is None:
        return None
    for flag in ("should_flag", "should_be_caught", "expected", "is_secret", "result"):
        if flag in values and isinstance(values[flag], bool):
            return text, values[flag]
    # keyword tests: (line, secret-or-None)
    others = [v for k, v in values.items() if k not in _LINE_ARGS]
    if len(others) == 1 and (others[0] is None or isinstance(others[0], str)):
        return text, others[0] is not None
    return None


# --- CredSweeper --------------------------------------------------------------------------
_BINARY_EXT = (".jks", ".p12", ".zip", ".gz", ".bz2", ".xz", ".lzma", ".tar", ".zst", ".7z",
               ".rpm", ".deb", ".pyc", ".class", ".png", ".jpg", ".gif", ".bmp", ".tiff",
               ".pdf", ".docx", ".xlsx", ".xls", ".xlsb", ".pptx", ".ods", ".sqlite", ".elf",
               ".dex", ".pak", ".pb", ".pickle", ".snk", ".hsqs", ".crx", ".cpio", ".tm7",
               ".apk", ".rtf", ".eml", ".plist", ".docm")


def credsweeper_samples(up: Upstream) -> Iterator[Sample]:
    truth: dict[str, dict[int, str]] = {}
    for item in json.loads(up.read("tests/data/output.json")):
        for ld in item["line_data_list"]:
            path = ld["path"].removeprefix("./")
            truth.setdefault(path, {})[int(ld["line_num"])] = item["rule"]
    for rel in up.files("tests/samples"):
        name = rel.rsplit("/", 1)[1]
        if any(name.lower().endswith(e) or f"{e}." in name.lower() for e in _BINARY_EXT):
            continue
        data = up.read_bytes(rel)
        if b"\0" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        if b"\0" in data:
            continue  # UTF-16 samples are kept for the placement checks, not line scoring
        text = data.decode("utf-8", "replace")
        labels = truth.get(rel, {})
        lines = text.split("\n")
        # A run of consecutive positive lines with the same rule is one secret (a PEM block
        # is labelled line by line upstream); every other non-blank line is one negative.
        # A PEM block's header line is part of the secret its body lines are labelled with.
        header = {n - 1 for n in labels if n > 1 and n - 1 not in labels
                  and "PRIVATE KEY" in lines[n - 2]}
        ln = 1
        while ln <= len(lines):
            if ln in labels:
                end = ln
                while end + 1 in labels and labels[end + 1] == labels[ln]:
                    end += 1
                first = ln - 1 if ln - 1 in header else ln
                yield Sample(_sid("credsweeper", rel, f"{ln}"), "credsweeper", rel, up.commit,
                             labels[ln], text, True, filename=name,
                             lines=list(range(first, end + 1)))
                ln = end + 1
                continue
            if lines[ln - 1].strip() and ln not in header:
                yield Sample(_sid("credsweeper", rel, f"{ln}"), "credsweeper", rel, up.commit,
                             "", text, False, filename=name, lines=[ln])
            ln += 1


# --- all ----------------------------------------------------------------------------------
_EXTRACTORS = {
    "gitleaks": gitleaks_samples,
    "trufflehog": trufflehog_samples,
    "detect-secrets": detect_secrets_samples,
    "credsweeper": credsweeper_samples,
}


def extract_all(paths: dict[str, str]) -> list[Sample]:
    """Samples from every source whose local copy is given (source name -> path)."""
    out: list[Sample] = []
    for source, path in paths.items():
        if not path:
            continue
        out.extend(_EXTRACTORS[source](Upstream(path)))
    seen: set[str] = set()
    unique = []
    for s in out:
        if s.id not in seen:
            seen.add(s.id)
            unique.append(s)
    return unique


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for source in SOURCES:
        parser.add_argument(f"--{source}", default="", help=f"local copy of {source} "
                            "(git directory or checkout)")
    parser.add_argument("--out", required=True, help="JSON (.json or .json.gz) to write")
    parser.add_argument("--committable", action="store_true",
                        help="keep only sources whose licence lets the repo carry the samples")
    args = parser.parse_args(argv)
    paths = {s: getattr(args, s.replace("-", "_")) for s in SOURCES}
    if args.committable:
        paths = {s: p for s, p in paths.items() if SOURCES[s]["commit_ok"]}
    samples = extract_all(paths)
    doc = {"format": 1, "sources": {s: {**SOURCES[s], "commit": Upstream(p).commit}
                                    for s, p in paths.items() if p},
           "samples": [s.to_dict() for s in samples]}
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(raw, mtime=0) if out.suffix == ".gz" else raw)
    by_source: dict[str, list[int]] = {}
    for s in samples:
        by_source.setdefault(s.source, [0, 0])[0 if s.positive else 1] += 1
    for source, (pos, neg) in sorted(by_source.items()):
        print(f"{source:15} {pos:5} positive {neg:5} negative", file=sys.stderr)


if __name__ == "__main__":
    main()
