"""A tiny evaluator for the Go expressions other scanners write their test samples in.

gitleaks keeps each rule's true/false-positive samples in Go (``tps := ...``,
``fps := []string{...}``, ``utils.GenerateSampleSecrets("id", "secret")``) and
trufflehog keeps its detector tests as Go tables (``input: fmt.Sprintf(...)``,
``want: []string{...}``). This module tokenises Go source and evaluates the small
expression language those samples use: string literals, ``+``, ``fmt.Sprintf``
with ``%s``/``%d``/``%v``, ``[]string{...}``, ``append``, ``strings.Repeat``, package
and local names, and gitleaks' generators (random values drawn from a seeded RNG
for ``secrets.NewSecret(regex)``, so the corpus is the same on every run).

Anything else raises ``Unsupported``: the caller skips that sample rather than
guess. It is test tooling; it must never run upstream code.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable
from typing import Any

__all__ = ["GoEval", "Unsupported", "random_from_regex", "sample_templates", "tokenize"]


class Unsupported(Exception):
    """An expression this evaluator does not understand."""


_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<raw>`[^`]*`)"""
    r"""|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<char>'(?:[^'\\\n]|\\.)*')"""
    r"""|(?P<num>\d[\w.]*)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<op>:=|\.\.\.|==|!=|&&|\|\||<-|[-+*/%&|^<>=!.,;:(){}\[\]])""",
    re.S,
)


def tokenize(src: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of Go source, without spaces and comments."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            pos += 1  # a character we do not need (unicode operators, stray bytes)
            continue
        pos = m.end()
        kind = m.lastgroup or ""
        if kind in ("ws", "comment"):
            continue
        out.append((kind, m.group()))
    return out


def _go_string(tok: str) -> str:
    if tok.startswith("`"):
        return tok[1:-1].replace("\r", "")
    try:
        value = ast.literal_eval(tok)
    except (ValueError, SyntaxError) as exc:
        raise Unsupported(tok) from exc
    if not isinstance(value, str):
        raise Unsupported(tok)
    return value


# --- gitleaks' generators --------------------------------------------------------------------
_CLASSES = {
    "AlphaNumeric": "[a-z0-9]{%s}",
    "Numeric": "[0-9]{%s}",
    "Hex": "[a-f0-9]{%s}",
    "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}


def _expand_class(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            chars.extend({"w": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
                          "d": "0123456789"}.get(nxt, nxt))
            i += 2
            continue
        if i + 2 < len(body) and body[i + 1] == "-" and body[i + 2] != "]":
            chars.extend(chr(x) for x in range(ord(c), ord(body[i + 2]) + 1))
            i += 3
            continue
        chars.append(c)
        i += 1
    return "".join(dict.fromkeys(chars))


_REGEX_PART = re.compile(
    r"(\[(?:\\.|[^\]])+\]|\\.|\((?:[^()]*)\)|[^\\\[({])(\{(\d+)(?:,(\d+))?\}|\?)?")


def random_from_regex(regex: str, rng: random.Random) -> str:
    """A string matching a simple regex (classes, literals, ``{n}``/``{n,m}``, one-level groups)."""
    regex = regex.removeprefix("(?i)")
    out: list[str] = []
    pos = 0
    while pos < len(regex):
        m = _REGEX_PART.match(regex, pos)
        if not m:
            raise Unsupported(regex)
        pos = m.end()
        atom, quant, low, high = m.group(1), m.group(2), m.group(3), m.group(4)
        if quant == "?":
            count = rng.randint(0, 1)
        elif low:
            count = rng.randint(int(low), int(high)) if high else int(low)
        else:
            count = 1
        for _ in range(count):
            if atom.startswith("["):
                if atom.startswith("[^"):
                    raise Unsupported(regex)
                out.append(rng.choice(_expand_class(atom[1:-1])))
            elif atom.startswith("("):
                options = atom[1:-1].removeprefix("?:").split("|")
                out.append(random_from_regex(rng.choice(options), rng))
            elif atom.startswith("\\"):
                ch = atom[1]
                cls = {"d": "0123456789", "w": _expand_class("\\w")}.get(ch)
                out.append(rng.choice(cls) if cls else ch)
            else:
                out.append(atom)
    return "".join(out)


# gitleaks' utils.GenerateSampleSecrets templates (cmd/generate/config/utils/generate.go).
_SAMPLE_TEMPLATES = (
    "{i}Token=\"{s}\"", "{i}Token = \"{s}\"", "{i}Token={s}", "{i}Token = {s}",
    "{\n    \"{i}_token\": \"{s}\"\n}", "{\"config.ini\": \"{I}_TOKEN={s}\\nBACKUP_ENABLED=true\"}",
    "<{i}Token>\n    {s}\n</{i}Token>", "{i}_token: {s}", "{i}_token: '{s}'",
    "{i}_token: \"{s}\"", "string {i}Token = \"{s}\";", "var {i}Token string = \"{s}\"",
    "{i}Token := \"{s}\"", "{i}Token := `{s}`", "String {i}Token = \"{s}\";",
    "var {i}Token = \"{s}\"", "${i}Token .= \"{s}\"", "{i}Token = '{s}'", "{i}Token = \"{s}\"",
    "System.setProperty(\"{I}_TOKEN\", \"{s}\")", "  \"{i}Token\" => \"{s}\"",
    "{i}_TOKEN = \"{s}\"", "{i}_TOKEN := \"{s}\"", "{i}_TOKEN ::= \"{s}\"",
    "{i}_TOKEN :::= \"{s}\"", "{i}_TOKEN ?= \"{s}\"",
)


def sample_templates(identifier: str, secret: str) -> list[str]:
    """What gitleaks' ``GenerateSampleSecrets(identifier, secret)`` returns (in a fixed order)."""
    return [t.replace("{i}", identifier).replace("{I}", identifier.upper()).replace("{s}", secret)
            for t in _SAMPLE_TEMPLATES]


class GoEval:
    """Evaluate Go expressions over a token list, with names from ``scope``."""

    def __init__(self, tokens: list[tuple[str, str]], scope: dict[str, Any],
                 rng: random.Random, on_samples: Callable[[list[str]], list[str]] | None = None):
        self.toks = tokens
        self.pos = 0
        self.scope = scope
        self.rng = rng
        # gitleaks' GenerateSampleSecrets yields ~26 forms; the caller may keep a subset.
        self.on_samples = on_samples or (lambda xs: xs)

    # -- token helpers --
    def peek(self, k: int = 0) -> tuple[str, str]:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else ("eof", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise Unsupported(f"expected {text!r}, got {tok[1]!r}")
        self.pos += 1
        return tok

    def skip_balanced(self) -> None:
        """Skip one expression we cannot evaluate (up to the next top-level , or closer)."""
        depth = 0
        while True:
            kind, text = self.peek()
            if kind == "eof":
                return
            if text in "([{" and kind == "op":
                depth += 1
            elif text in ")]}" and kind == "op":
                if depth == 0:
                    return
                depth -= 1
            elif text == "," and depth == 0:
                return
            self.pos += 1

    # -- grammar --
    def expr(self) -> Any:
        left = self.unary()
        while self.peek()[1] == "+":
            self.take()
            right = self.unary()
            if not (isinstance(left, str) and isinstance(right, str)):
                raise Unsupported("+ on non-strings")
            left = left + right
        return left

    def unary(self) -> Any:
        kind, text = self.peek()
        if kind in ("raw", "str"):
            self.take()
            return _go_string(text)
        if kind == "num":
            self.take()
            return int(text) if text.isdigit() else text
        if text == "[":
            return self.composite()
        if text == "map":
            raise Unsupported("map literal")
        if text == "(":
            self.take()
            value = self.expr()
            self.take(")")
            return value
        if kind == "ident":
            return self.name_or_call()
        raise Unsupported(f"token {text!r}")

    def composite(self) -> list[Any]:
        self.take("[")
        self.take("]")
        kind, text = self.take()
        if text == "byte" and self.peek()[1] == "(":
            raise Unsupported("[]byte conversion")
        if text != "string":
            raise Unsupported(f"[]{text}")
        return self.list_body()

    def list_body(self) -> list[Any]:
        self.take("{")
        items: list[Any] = []
        while self.peek()[1] != "}":
            start = self.pos
            try:
                value = self.expr()
                if isinstance(value, list):
                    items.extend(value)
                else:
                    items.append(value)
            except Unsupported:
                self.pos = start
                self.skip_balanced()
                items.append(None)  # a sample we could not evaluate
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return items

    def args(self) -> list[Any]:
        self.take("(")
        out: list[Any] = []
        spread = False
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == "...":
                self.take()
                spread = True
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        if spread and out and isinstance(out[-1], list):
            last = out.pop()
            out.extend(last)
        return out

    def name_or_call(self) -> Any:
        name = self.take()[1]
        while self.peek()[1] == "." and self.peek(1)[0] == "ident":
            self.take()
            name += "." + self.take()[1]
        if self.peek()[1] != "(":
            if name in self.scope:
                return self.scope[name]
            raise Unsupported(f"name {name}")
        short = name.rsplit(".", 1)[-1]
        if short in ("append",):
            items = self.args_lenient()
            base = items[0] if items and isinstance(items[0], list) else []
            rest: list[Any] = []
            for x in items[1:]:
                rest.extend(x if isinstance(x, list) else [x])
            return [*base, *rest]
        args = self.args()
        if short in _CLASSES and len(args) == 1:
            return _CLASSES[short] % args[0]
        if short == "Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if short in ("NewSecret", "newPlausibleSecret") and len(args) == 1:
            return random_from_regex(str(args[0]), self.rng)
        if short == "GenerateSampleSecrets" and len(args) == 2:
            return self.on_samples(sample_templates(str(args[0]), str(args[1])))
        if short == "GenerateSampleSecret" and len(args) == 2:
            return f'{args[0]}_api_token = "{args[1]}"'
        if name == "fmt.Sprintf" and args:
            return _sprintf(str(args[0]), args[1:])
        if name == "strings.Repeat" and len(args) == 2:
            return str(args[0]) * int(args[1])
        if name == "strings.Join" and len(args) == 2 and isinstance(args[0], list):
            return str(args[1]).join(str(x) for x in args[0])
        if name in ("string", "strings.TrimSpace") and len(args) == 1:
            return str(args[0]).strip() if "Trim" in name else args[0]
        raise Unsupported(f"call {name}")

    def args_lenient(self) -> list[Any]:
        """append(...) arguments: an element we cannot evaluate becomes None (kept as 'skipped')."""
        self.take("(")
        out: list[Any] = []
        while self.peek()[1] != ")":
            start = self.pos
            try:
                value = self.expr()
            except Unsupported:
                self.pos = start
                self.skip_balanced()
                value = None
            if self.peek()[1] == "...":
                self.take()
            out.append(value)
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return out


def _sprintf(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    i = 0
    it = iter(args)
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            verb = fmt[i + 1]
            if verb == "%":
                out.append("%")
            elif verb in "sdvq":
                try:
                    value = next(it)
                except StopIteration as exc:
                    raise Unsupported("Sprintf arity") from exc
                out.append(f'"{value}"' if verb == "q" else str(value))
            else:
                raise Unsupported(f"Sprintf %{verb}")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
