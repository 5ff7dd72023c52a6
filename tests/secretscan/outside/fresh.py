"""The fresh corpus: samples the rules were never tuned on, split into dev and held-out halves.

``samples.json.gz`` (``extract.py``) was read while the rules were written, so its scores are
in-sample. This module builds a second corpus from sources nobody on the team looked at:

- rule files with ``examples`` / ``negative_examples`` (YAML, parsed, never run):
  praetorian-inc/noseyparker (Apache-2.0), praetorian-inc/titus (Apache-2.0, its Go port,
  which also carries kingfisher's rules) and mongodb/kingfisher (Apache-2.0);
- secretlint/secretlint (MIT): each rule's ``test/snapshots/<case>/input*`` with the lines
  its ``output.json`` reports (every other non-blank line is a negative, as for CredSweeper);
- betterleaks/betterleaks (MIT, gitleaks' successor): gitleaks-style rule files that differ
  from the gitleaks commit in ``samples.json.gz``, read by ``extract.gitleaks_samples``;
- IBM/detect-secrets (Apache-2.0, a fork with more plugins): its plugin tests, read by
  ``extract.detect_secrets_samples``;
- newer snapshots of gitleaks, detect-secrets and CredSweeper than the committed corpus's.

A sample whose labelled text already occurs in the committed corpus (or earlier in this one)
is dropped: only "new since" text counts.

**Split.** Every sample gets a *group*, the service its upstream rule is about (the rule
file's or rule package's name: ``openai``, ``slack``, ``generic``...), and the group, not the
sample, decides the half: ``sha256("fresh-split\\0" + group) mod 10 < 5`` is held-out. So a
held-out half holds services whose examples nobody saw, rather than more examples of a rule
just fixed on the dev half. Fix rules looking at the dev half only; the bench prints only
totals for the held-out half.

``python -m tests.secretscan.outside.fresh --help`` writes ``fresh.json.gz``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.secretscan.outside import corpus
from tests.secretscan.outside.extract import (
    Sample,
    Upstream,
    _sid,
    credsweeper_samples,
    detect_secrets_samples,
    gitleaks_samples,
)

__all__ = ["FRESH", "FRESH_SOURCES", "group_of", "held_out", "main"]

FRESH = Path(__file__).resolve().parent / "fresh.json.gz"

FRESH_SOURCES: dict[str, dict[str, Any]] = {
    "noseyparker": {"repo": "praetorian-inc/noseyparker", "license": "Apache-2.0",
                    "commit_ok": True},
    "titus": {"repo": "praetorian-inc/titus", "license": "Apache-2.0", "commit_ok": True},
    "kingfisher": {"repo": "mongodb/kingfisher", "license": "Apache-2.0", "commit_ok": True},
    "secretlint": {"repo": "secretlint/secretlint", "license": "MIT", "commit_ok": True},
    "betterleaks": {"repo": "betterleaks/betterleaks", "license": "MIT", "commit_ok": True},
    "ibm-detect-secrets": {"repo": "IBM/detect-secrets", "license": "Apache-2.0",
                           "commit_ok": True},
    "gitleaks-new": {"repo": "gitleaks/gitleaks", "license": "MIT", "commit_ok": True},
    "detect-secrets-new": {"repo": "Yelp/detect-secrets", "license": "Apache-2.0",
                           "commit_ok": True},
    "credsweeper-new": {"repo": "Samsung/CredSweeper", "license": "MIT", "commit_ok": True},
}

_RULE_DIRS = {
    "noseyparker": "crates/noseyparker/data/default/builtin/rules",
    "titus": "pkg/rule/rules",
    "kingfisher": "data/rules",
}

# A negative example right under an upstream comment saying the rule misses it is a secret
# the rule cannot catch, not a non-secret ("this one unfortunately doesn't match").
_MISSED_COMMENT = re.compile(r"#.*(?:doesn't match|does not match|unfortunately|FIXME|should "
                             r"(?:match|detect))", re.I)


# Upstream rules that report a non-secret part of a credential (an id, a host, a URL, a
# user or token *name*): their positives are kept but not scored, decided by the rule's name
# before any scanner ran.
_IDENTIFIER_RULE = re.compile(
    r"(?:client[-_ ]?id|cloud[-_ ]?name|[-_ .](?:url|uri|host|hostname|endpoint|domain|"
    r"username|user[-_ ]?name|org(?:anization)?[-_ ]?id|tenant[-_ ]?id|account[-_ ]?(?:id|host)"
    r"|app[-_ ]?id|token[-_ ]?name|instance[-_ ]?url)\b|\b(?:hostname|endpoint|client id|"
    r"account id|tenant id|url)\b)", re.I)


def identifier_rule(rule: str) -> bool:
    """Whether an upstream rule reports an identifier or a location rather than a secret."""
    name = rule.split(" (")[0] if " (" in rule else rule
    if re.search(r"pass|pwd|secret|credential|private", name, re.I):
        return False
    return bool(_IDENTIFIER_RULE.search(name))


def group_of(source: str, upstream_path: str, rule: str) -> str:
    """The service a sample is about: its rule file's or rule package's name."""
    name = upstream_path.rsplit("/", 1)[-1]
    if source == "secretlint":
        m = re.search(r"secretlint-rule-([^/]+)/", upstream_path)
        name = m.group(1) if m else name
    elif source.endswith("detect-secrets") or source == "detect-secrets-new":
        name = name.removesuffix("_test.py")
    elif source == "credsweeper-new":
        name = rule or "credsweeper-negative"
    name = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[^a-z0-9]", "", name.lower())


def held_out(group: str) -> bool:
    """Whether a group's samples belong to the held-out half (see the module docstring)."""
    digest = hashlib.sha256(f"fresh-split\0{group}".encode()).hexdigest()
    return int(digest, 16) % 10 < 5


def rule_yaml_samples(up: Upstream, source: str) -> Iterator[Sample]:
    """``examples`` (secrets) and ``negative_examples`` of every rule file under the rule dir."""
    for rel in up.files(_RULE_DIRS[source]):
        if not rel.endswith((".yml", ".yaml")):
            continue
        raw = up.read(rel)
        try:
            doc = yaml.safe_load(raw) or {}
        except yaml.YAMLError:
            continue
        flagged = _flagged_negatives(raw)
        for rule in doc.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            rid = f"{rule.get('name', '')} ({rule.get('id', '')})"
            categories = rule.get("categories") or []
            not_secret = bool(categories) and "secret" not in categories
            for key, positive in (("examples", True), ("negative_examples", False)):
                for i, text in enumerate(rule.get(key) or []):
                    if not isinstance(text, str) or not text.strip():
                        continue
                    sample = Sample(_sid(source, rel, f"{rid}\0{positive}\0{i}\0{text}"),
                                    source, rel, up.commit, rid, text, positive)
                    if positive and not_secret:
                        sample.secrets = ["debatable: the upstream rule's categories "
                                          f"({', '.join(categories)}) do not include 'secret'"]
                    if not positive and any(text.strip().startswith(f) for f in flagged):
                        sample.secrets = ["debatable: an upstream comment says the rule "
                                          "misses this negative, so it is a secret"]
                    yield sample


def _flagged_negatives(raw: str) -> list[str]:
    """First lines of list items that come right after a 'this should match' comment."""
    out: list[str] = []
    lines = raw.split("\n")
    for n, line in enumerate(lines):
        if not _MISSED_COMMENT.search(line) or not line.lstrip().startswith("#"):
            continue
        for nxt in lines[n + 1:n + 4]:
            item = nxt.strip()
            if item.startswith("- "):
                first = item[2:].strip().strip("'\"")
                if first in ("|", ">", "|-", ">-"):
                    idx = lines.index(nxt, n + 1)
                    first = lines[idx + 1].strip() if idx + 1 < len(lines) else ""
                if first:
                    out.append(first[:40])
                break
    return out


_SECRETLINT_SKIP = {"no-dotenv", "no-homedir", "no-k8s-kind-secret", "filter-comments",
                    "pattern", "example"}
_SECRETLINT_AUX = ("output.json", "output.txt", "options.ts", "readme.md", "package.json",
                   ".secretlintrc.json", "index.mjs", ".gitignore")


def secretlint_samples(up: Upstream) -> Iterator[Sample]:
    """Each rule's snapshot inputs, one sample per reported line run or unreported line."""
    cases: dict[str, list[str]] = {}
    for rel in up.files("packages/@secretlint"):
        m = re.match(r"packages/@secretlint/secretlint-rule-([^/]+)/test/snapshots/([^/]+)/"
                     r"([^/]+)$", rel)
        if not m or m.group(1) in _SECRETLINT_SKIP or m.group(1).startswith("preset-"):
            continue
        cases.setdefault(rel.rsplit("/", 1)[0], []).append(m.group(3))
    for case, names in sorted(cases.items()):
        if "options.ts" in names or "output.json" not in names:
            continue  # labels that depend on per-test options are not the rule's own
        inputs = [n for n in names if n.lower() not in _SECRETLINT_AUX]
        if len(inputs) != 1:
            continue
        data = up.read_bytes(f"{case}/{inputs[0]}")
        if b"\0" in data:
            continue
        text = data.decode("utf-8", "replace")
        try:
            out = json.loads(up.read(f"{case}/output.json"))
        except ValueError:
            continue
        spans = sorted({(int(msg["loc"]["start"]["line"]), int(msg["loc"]["end"]["line"]))
                        for msg in out.get("messages") or []})
        rule = case.split("/")[2].removeprefix("secretlint-rule-")
        yield from _line_samples(up, "secretlint", f"{case}/{inputs[0]}", rule, text, spans,
                                 inputs[0])


def _line_samples(up: Upstream, source: str, rel: str, rule: str, text: str,
                  spans: list[tuple[int, int]], filename: str) -> Iterator[Sample]:
    labelled: dict[int, int] = {}
    for a, b in spans:
        for ln in range(a, b + 1):
            labelled[ln] = max(labelled.get(ln, b), b)
    lines = text.split("\n")
    ln = 1
    while ln <= len(lines):
        if ln in labelled:
            end = labelled[ln]
            while end + 1 in labelled:
                end = max(end + 1, labelled[end + 1])
            yield Sample(_sid(source, rel, f"{ln}"), source, rel, up.commit, rule, text, True,
                         filename=filename, lines=list(range(ln, end + 1)))
            ln = end + 1
            continue
        if lines[ln - 1].strip():
            yield Sample(_sid(source, rel, f"{ln}"), source, rel, up.commit, rule, text, False,
                         filename=filename, lines=[ln])
        ln += 1


def betterleaks_samples(up: Upstream, gitleaks: Upstream | None) -> Iterator[Sample]:
    """gitleaks-style samples that are new against the gitleaks commit of the committed corpus.

    betterleaks draws its generated samples from the same seeded generator, so a changed file
    re-rolls samples of rules the team already tuned on. Only rules gitleaks lacks, and
    literal samples written into a file since (text absent from gitleaks' copy), are kept.
    """
    old_rules = {s.rule for s in gitleaks_samples(gitleaks)} if gitleaks is not None else set()
    sources: dict[str, tuple[str, str]] = {}
    for s in gitleaks_samples(up):
        if s.rule in old_rules:
            if s.upstream_path not in sources:
                try:
                    before = gitleaks.read(s.upstream_path) if gitleaks is not None else ""
                except Exception:  # noqa: BLE001 - a file gitleaks lacks
                    before = ""
                sources[s.upstream_path] = (up.read(s.upstream_path), before)
            now, before = sources[s.upstream_path]
            literal = s.text.strip().split("\n")[0]
            if literal not in now or literal in before:
                continue
        yield _renamed(s, "betterleaks")


def _renamed(s: Sample, source: str) -> Sample:
    return dataclasses.replace(s, source=source, id=f"{source}:{s.id.split(':', 1)[1]}")


def _key(s: Sample | corpus.OutsideSample) -> str:
    if not s.lines:
        return s.text.strip()
    lines = s.text.split("\n")
    return "\n".join(lines[i - 1] for i in s.lines if 0 < i <= len(lines)).strip()


def extract_fresh(paths: dict[str, str], gitleaks_old: str = "") -> list[Sample]:
    """New-since samples from every source whose local copy is given (source -> path)."""
    seen = {_key(s) for s in corpus.load_samples(committed=True, extra=None)}
    out: list[Sample] = []
    for source, path in paths.items():
        if not path:
            continue
        up = Upstream(path)
        if source in _RULE_DIRS:
            found: Iterator[Sample] = rule_yaml_samples(up, source)
        elif source == "secretlint":
            found = secretlint_samples(up)
        elif source == "betterleaks":
            found = betterleaks_samples(up, Upstream(gitleaks_old) if gitleaks_old else None)
        elif source == "ibm-detect-secrets":
            found = (_renamed(s, source) for s in detect_secrets_samples(up))
        elif source == "gitleaks-new":
            found = (_renamed(s, source) for s in gitleaks_samples(up))
        elif source == "detect-secrets-new":
            found = (_renamed(s, source) for s in detect_secrets_samples(up))
        elif source == "credsweeper-new":
            found = (_renamed(s, source) for s in credsweeper_samples(up))
        else:
            raise SystemExit(f"unknown source {source}")
        for s in found:
            key = _key(s)
            if not key or key in seen:
                continue
            out.append(s)
            seen.add(key)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for source in FRESH_SOURCES:
        parser.add_argument(f"--{source}", default="", help=f"local copy of "
                            f"{FRESH_SOURCES[source]['repo']} (git directory or checkout)")
    parser.add_argument("--gitleaks-old", default="",
                        help="gitleaks copy at the committed corpus's commit (for betterleaks)")
    parser.add_argument("--out", default=str(FRESH), help="JSON (.json or .json.gz) to write")
    args = parser.parse_args(argv)
    paths = {s: getattr(args, s.replace("-", "_")) for s in FRESH_SOURCES}
    samples = extract_fresh(paths, args.gitleaks_old)
    records = []
    for s in samples:
        d = s.to_dict()
        note = next((x for x in s.secrets if x.startswith("debatable: ")), "")
        d["secrets"] = [x for x in s.secrets if not x.startswith("debatable: ")]
        if note:
            d["debatable"] = note.removeprefix("debatable: ")
        if d["positive"] and not note and identifier_rule(s.rule):
            d["debatable"] = ("the upstream rule reports an identifier, host or URL, not a "
                              "secret")
        d["group"] = group_of(s.source, s.upstream_path, s.rule)
        d["half"] = "held-out" if held_out(d["group"]) else "dev"
        records.append(d)
    doc = {"format": 1,
           "sources": {s: {**FRESH_SOURCES[s], "commit": Upstream(p).commit}
                       for s, p in paths.items() if p},
           "samples": records}
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    out = Path(args.out)
    out.write_bytes(gzip.compress(raw, mtime=0) if out.suffix == ".gz" else raw)
    counts: dict[tuple[str, str], list[int]] = {}
    for d in records:
        counts.setdefault((d["source"], d["half"]), [0, 0])[0 if d["positive"] else 1] += 1
    for (source, half), (pos, neg) in sorted(counts.items()):
        print(f"{source:20} {half:9} {pos:5} positive {neg:5} negative", file=sys.stderr)


if __name__ == "__main__":
    main()
