"""Check a pasted HTTP call to an AI API: a curl command, or Python ``requests``/``httpx``.

The call is parsed, not pattern-matched: curl with ``shlex`` (the shell's own quoting
rules), Python with ``ast``, a JSON body with ``jsoncheck``. Checks then run on what was
parsed, the way ``review.py`` runs its checks: each applies only when the paste shows what
it needs (no body check for ``-d @file.json``, no header check when headers come from a
variable), so a problem reported is always in the paste, with its line, and a check that
passed is listed as checked. Only OpenAI's and Anthropic's endpoints (and OpenAI-compatible
``/chat/completions`` servers, for the checks that hold for all of them) are checked; any
other call is left alone. Input is cut to ``MAX_CHARS`` and ``MAX_TOKENS`` tokens.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import json
import re
import shlex
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apilab.assistant.jsoncheck import json_check
from apilab.assistant.offline.review import Review

__all__ = ["HttpCall", "check_call", "find_calls", "parse_curl", "parse_python"]

MAX_CHARS = 12_000
MAX_TOKENS = 400

# path -> (endpoint, method); paths without /v1 are looked up with it added.
_OPENAI_PATHS = {
    "/v1/chat/completions": "chat", "/v1/responses": "responses",
    "/v1/embeddings": "embeddings", "/v1/completions": "completions",
    "/v1/images/generations": "images", "/v1/moderations": "moderations",
    "/v1/audio/speech": "speech",
}
_ANTHROPIC_PATHS = {"/v1/messages": "messages", "/v1/messages/count_tokens": "count_tokens"}
_NEEDS_MODEL = {"chat", "responses", "embeddings", "completions", "messages", "count_tokens",
                "speech"}
_DEFAULT_MODEL = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5",
                  "compatible": "your-model"}
_KEY_VAR = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
            "compatible": "API_KEY"}
_OPENAI_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_ANTHROPIC_ROLES = {"user", "assistant"}


class _Unknown:
    """A value the paste computes (a variable, a call): never checked, shown as written."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __repr__(self) -> str:
        return self.source


@dataclasses.dataclass
class HttpCall:
    """One HTTP call as pasted: what it sends, and on which line of the paste each part is."""

    source: str  # "curl" | "python"
    lines: list[str]  # the paste's lines, for quoting
    url: str = ""
    url_line: int = 0
    method: str = ""  # "" when curl picks it (GET, or POST with a body)
    method_line: int = 0
    headers: dict[str, tuple[str, str, int]] = dataclasses.field(default_factory=dict)
    headers_known: bool = True  # every header is in the paste (no -H @file, no variable)
    single_quoted: set[str] = dataclasses.field(default_factory=set)  # header names
    body: Any = None  # the parsed body; _Unknown when not in the paste; None when no body
    body_text: str | None = None  # a curl body as written
    body_line: int = 0
    body_flag: str = ""  # the curl option that sent it ("-d", "--data-raw")
    body_json: bool = False  # sent as JSON by the tool itself (curl --json, requests json=)
    form: bool = False  # sent form-encoded (requests data={...}, curl -F)
    form_line: int = 0
    other_auth: bool = False  # curl -u, requests auth=
    extra: list[str] = dataclasses.field(default_factory=list)  # other curl options, as is
    library: str = "requests"
    broken: str = ""  # why the paste could not be read (unbalanced quotes)


# --- curl ---------------------------------------------------------------------------------

_CURL_LINE = re.compile(r"^[ \t]{0,40}(?:\$[ \t]{0,4})?curl[ \t]{1,8}(?=[-\"'\\]|https?:|localhost|"
                        r"\d{1,3}\.|[\w-]{1,63}\.[\w.-]{2,200}(?:[/:\s]|$))", re.M)
# curl options that take a value we do not use (so the value is not taken for the URL).
_TAKES_VALUE = frozenset((
    "-o", "--output", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "-A",
    "--user-agent", "-e", "--referer", "-x", "--proxy", "--retry", "--retry-delay",
    "--retry-max-time", "-b", "--cookie", "-c", "--cookie-jar", "--cacert", "--cert", "--key",
    "-r", "--range", "--limit-rate", "-T", "--upload-file", "-K", "--config", "--resolve",
    "--interface", "-E", "--capath", "--max-filesize", "-y", "--speed-time", "-Y",
    "--speed-limit", "--trace", "--trace-ascii", "--stderr", "--unix-socket"))
_DATA = frozenset(("-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json",
                   "--data-urlencode"))
# Shell operators, and the arrow a learner writes after a pasted command ("... -> 401. why").
_SHELL_END = frozenset(("|", "||", "&&", ";", ">", ">>", "&", "2>&1", "|&", "->", "=>",
                        "\u2192", "-->"))


# A body shortened in the paste ("{...}", "{ … }"): not a body to check.
_ELIDED = re.compile(r"\.\.\.|\u2026")


def _command_end(text: str, start: int) -> int:
    """Where the command starting at ``start`` ends: a newline outside quotes, unless the line
    ends in a continuation (``\\``, ``^``) or the next line starts an option (``-H``)."""
    quote = ""
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        elif c == "\n":
            before = text[max(start, i - 1):i]
            after = text[i + 1:i + 200].lstrip(" \t")
            if before not in ("\\", "^") and not after.startswith(("-", "'", '"')):
                return i
        i += 1
    return n


def parse_curl(text: str) -> HttpCall | None:
    """The first curl command in ``text``, or None when there is none."""
    found = _CURL_LINE.search(text, 0, MAX_CHARS)
    if found is None:
        return None
    start = found.end() - 5  # at "curl": a "$ " prompt before it is not part of the command
    command = text[start:_command_end(text, start)][:MAX_CHARS].replace("\r\n", "\n")
    call = HttpCall("curl", command.splitlines())
    # A line continuation becomes a space (same length, so positions keep their lines).
    flat = re.sub(r"[\\^](?=\r?\n)", " ", command)
    newlines = [i for i, ch in enumerate(flat) if ch == "\n"]
    lexer = shlex.shlex(flat, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens: list[tuple[str, int]] = []
    try:
        while len(tokens) < MAX_TOKENS:
            token = lexer.get_token()
            if token is None:
                break
            # The token's last character: before the whitespace that ended it, or at the end.
            after = lexer.instream.tell()
            last = after - 2 if flat[after - 1:after].isspace() else after - 1
            tokens.append((token, bisect.bisect_left(newlines, max(last, 0)) + 1))
    except ValueError as exc:  # "No closing quotation"
        call.broken = str(exc)
        return call
    if not tokens or tokens[0][0] != "curl" or len(tokens) >= MAX_TOKENS:
        return None  # not curl, or cut short: a check of part of it could report what is not so
    i = 1
    data: list[tuple[str, int]] = []
    while i < len(tokens):
        token, line = tokens[i]
        value, value_line = tokens[i + 1] if i + 1 < len(tokens) else ("", line)
        i += 1
        if token in _SHELL_END:
            break
        name, attached = token, ""
        if re.fullmatch(r"-[XHd][^-].*", token, re.S):  # -XPOST, -H"...", -d'...'
            name, attached = token[:2], token[2:]
        if attached:
            value, value_line = attached, line
        elif name in ("-X", "--request", "-H", "--header", "-u", "--user", "--url", "-F",
                      "--form") or name in _DATA or name in _TAKES_VALUE:
            i += 1  # the value was the next token
        if name in ("-X", "--request"):
            call.method, call.method_line = value.upper(), line
        elif name in ("-G", "--get"):
            call.method, call.method_line = "GET", line
        elif name in ("-I", "--head"):
            call.method, call.method_line = "HEAD", line
        elif name in ("-H", "--header"):
            if value.startswith("@"):
                call.headers_known = False
            elif ":" in value:
                key, _, val = value.partition(":")
                call.headers[key.strip().lower()] = (key.strip(), val.strip(), value_line)
                if f"'{value}'" in command:
                    call.single_quoted.add(key.strip().lower())
        elif name in _DATA:
            data.append((value, value_line if not attached else line))
            call.body_line = call.body_line or line
            call.body_flag = call.body_flag or name
            call.body_json = call.body_json or name == "--json"
            if name == "--data-urlencode":
                call.form, call.form_line = True, call.form_line or line
        elif name in ("-F", "--form"):
            call.form, call.form_line = True, call.form_line or line
            call.body_line = call.body_line or line
            call.body_flag = call.body_flag or name
        elif name in ("-u", "--user"):
            call.other_auth = True
        elif name == "--url" or (not call.url and not token.startswith("-")):
            call.url, call.url_line = value if name == "--url" else token, line
        elif token.startswith("-"):
            call.extra.append(token)
        elif re.match(r"https?://", token):
            call.url, call.url_line = token, line  # a second URL: the last one wins in curl
    if data:
        body_text = "&".join(v for v, _ in data)
        call.body_text = body_text
        if call.form:
            call.body = _Unknown(body_text)
        elif body_text.startswith(("@", "$")):
            call.body = _Unknown(body_text)  # a file or a variable: not in the paste
        else:
            call.body = body_text
    return call


# --- Python requests / httpx ---------------------------------------------------------------

_PY_CALL = re.compile(r"\b(?:requests|httpx|session|client|s)\s{0,3}\.\s{0,3}"
                      r"(?:post|get|request)\s{0,3}\(")


def parse_python(code: str) -> HttpCall | None:
    """The first ``requests``/``httpx`` call to a URL the code spells out, or None."""
    code = code[:MAX_CHARS]
    if not _PY_CALL.search(code):
        return None
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    names: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            names.setdefault(node.targets[0].id, node.value)
    lines = code.split("\n")
    source = _Source(code)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("post", "get", "request")):
            continue
        owner = node.func.value
        library = owner.id if isinstance(owner, ast.Name) else ""
        args = list(node.args)
        method = node.func.attr.upper()
        if method == "REQUEST":
            if not args or not isinstance(args[0], ast.Constant):
                continue
            method = str(args[0].value).upper()
            args = args[1:]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        url_node = args[0] if args else keywords.get("url")
        url = _py_value(_resolve(url_node, names), source) if url_node is not None else None
        if not isinstance(url, str) or not re.match(r"https?://", url):
            continue
        call = HttpCall("python", lines, url=url, url_line=node.lineno, method=method,
                        method_line=node.lineno,
                        library=library if library in ("requests", "httpx") else "requests")
        headers = _resolve(keywords.get("headers"), names)
        if isinstance(headers, ast.Dict):
            for key, value in zip(headers.keys, headers.values, strict=True):
                if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                    call.headers_known = False
                    continue
                shown = _py_value(_resolve(value, names), source)
                call.headers[key.value.lower()] = (key.value, _header_text(shown),
                                                   getattr(key, "lineno", node.lineno))
        elif headers is not None:
            call.headers_known = False
        if "auth" in keywords:
            call.other_auth = True
        if "json" in keywords:
            value = _resolve(keywords["json"], names)
            assert value is not None
            call.body = _py_value(value, source)
            call.body_json, call.body_line = True, value.lineno  # where the dict is written
        elif "data" in keywords or "content" in keywords:
            node_data = keywords.get("data") or keywords["content"]
            value = _resolve(node_data, names)
            assert value is not None
            call.body_line = value.lineno
            if isinstance(value, ast.Dict):
                call.form, call.body = True, _py_value(value, source)
                call.form_line = node_data.lineno
            elif (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                  and value.func.attr == "dumps" and value.args):
                call.body = _py_value(_resolve(value.args[0], names), source)
            else:
                call.body = _py_value(value, source)
        return call
    return None


class _Source:
    """Source text of nodes: ``ast.get_source_segment`` splits the whole code on every call,
    which is quadratic over many nodes; this splits it once."""

    def __init__(self, code: str) -> None:
        # Split on "\n" only, as ``ast`` numbers lines (``splitlines`` also splits on \x0c).
        self.lines = [line.encode() + b"\n" for line in code.split("\n")]

    def __call__(self, node: ast.AST) -> str:
        start, end = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0) or 0
        if not 0 < start <= end <= len(self.lines) or end - start > 40:
            return "..."
        first, last = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if start == end:
            return self.lines[start - 1][first:last].decode(errors="replace")
        chunks = [self.lines[start - 1][first:], *self.lines[start:end - 1],
                  self.lines[end - 1][:last]]
        return b"".join(chunks).decode(errors="replace")


def _resolve(node: ast.expr | None, names: dict[str, ast.expr]) -> ast.expr | None:
    """A variable's assigned value, one level deep (``url = "..."`` then ``post(url)``)."""
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    return node


def _py_value(node: ast.expr | None, code: _Source, depth: int = 0) -> Any:
    """A literal's value; a JSON-like dict/list with unknown parts kept as written."""
    if node is None:
        return None
    if depth > 20:
        return _Unknown(code(node) or "...")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            k = _py_value(key, code, depth + 1) if key is not None else None
            if isinstance(k, str):
                out[k] = _py_value(value, code, depth + 1)
            else:
                return _Unknown(code(node) or "{...}")
        return out
    if isinstance(node, ast.List | ast.Tuple):
        return [_py_value(e, code, depth + 1) for e in node.elts]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            else:
                parts.append("{" + (code(part) or "…").strip("{}") + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _py_value(node.left, code, depth + 1), _py_value(node.right, code,
                                                                        depth + 1)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return _Unknown(code(node) or "...")
    return _Unknown(code(node) or "...")


def _header_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    # A header from an expression: its own name says what it holds (``api_key``).
    return "{" + (value.source if isinstance(value, _Unknown) else str(value)) + "}"


# --- finding calls ------------------------------------------------------------------------

def find_calls(text: str, code_blocks: list[str]) -> list[HttpCall]:
    """The curl command in ``text`` and the Python call in each code block, if any."""
    found = []
    curl = parse_curl(text)
    if curl is not None:
        found.append(curl)
    for block in code_blocks[:3]:
        call = parse_python(block)
        if call is not None:
            found.append(call)
    return found


# --- checking -----------------------------------------------------------------------------

def _endpoint(call: HttpCall) -> tuple[str, str, str, str] | None:
    """``(provider, endpoint, path as sent, path it should be)``, or None for other APIs."""
    try:
        parts = urlsplit(call.url if "://" in call.url else f"https://{call.url}")
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    path = parts.path.rstrip("/") or "/"
    if host == "api.openai.com":
        provider, table = "openai", _OPENAI_PATHS
    elif host == "api.anthropic.com":
        provider, table = "anthropic", _ANTHROPIC_PATHS
    elif path.endswith("/chat/completions"):
        # Azure names the model in the URL (``/deployments/<name>/``), not in the body.
        return "compatible", "chat" if "/deployments/" not in path else "chat-deployed", \
            path, path
    else:
        return None
    fixed = path
    if fixed.startswith("/v1/v1/"):
        fixed = fixed[3:]
    elif not fixed.startswith("/v1/") and "/v1" + fixed in table:
        fixed = "/v1" + fixed
    if fixed not in table:
        return None
    return provider, table[fixed], path, fixed


def _quote(call: HttpCall, line: int, near: str = "") -> str:
    """"Line 3 (`-H "Authorization: ..."`)": where a problem is, quoted from the paste; on a
    long line, from the option ``near`` names (a one-line curl is all "line 1")."""
    text = call.lines[line - 1].strip().rstrip("\\^").strip() if 0 < line <= len(
        call.lines) else ""
    at = text.find(near) if near and len(text) > 70 else -1
    if at > 12:  # near the start, the start reads better
        option = text.rfind(" -", 0, at)  # from the option before a header's name
        text = "..." + text[option + 1 if option >= 0 and at - option < 12 else at:]
    text = text if len(text) <= 70 else text[:67] + "..."
    return f"Line {line} (`{text.replace('`', '')}`)" if text else f"Line {line}"


def _key_reference(value: str) -> bool:
    """A value that is only the key: a variable named for a key, a literal or redacted key."""
    ref = re.fullmatch(r"\$\{?([A-Za-z_]\w{0,60})\}?|\{([\w.\[\]'\"() ]{1,80})\}", value)
    if ref:
        name = (ref.group(1) or ref.group(2)).lower()
        return ("key" in name or "token" in name) and "header" not in name
    return " " not in value and bool(value) and not value.lower().startswith(
        ("bearer", "basic", "token"))


def _var_of(value: str) -> str | None:
    m = re.search(r"\$\{?([A-Za-z_]\w{0,60})\}?", value)
    return m.group(1) if m else None


def check_call(call: HttpCall) -> Review | None:
    """The problems in one pasted call and what was checked, or None when the call is not
    to an endpoint the checker knows."""
    what = "curl command" if call.source == "curl" else f"`{call.library}` call"
    if call.broken:
        return Review(f"Check of your {what}", [], [(
            "The quotes in the command do not pair up, so the shell cannot run it as "
            "pasted.",
            "Most often an apostrophe inside the single-quoted `-d '...'` body (`it's`) ends "
            "the quote early: write it as `'\\''`, or put the body in a file and send it with "
            "`-d @body.json`.")], objectives=("request-anatomy",))
    where = _endpoint(call)
    if where is None:
        return None
    provider, endpoint, path, fixed_path = where
    label = {"openai": "OpenAI", "anthropic": "Anthropic",
             "compatible": "an OpenAI-compatible server"}[provider]
    passed: list[str] = []
    problems: list[tuple[str, str]] = []

    # The URL.
    if fixed_path != path:
        at = _quote(call, call.url_line, "http")
        problems.append((f"{at}: the path `{path}` is missing `/v1`." if "/v1/v1/" not in path
                         else f"{at}: `/v1` is in the path twice.",
                         f"The endpoint is `{fixed_path}`; any other path gets a 404."))
    elif provider != "compatible":
        passed.append(f"the URL (`{fixed_path}`)")

    # The method.
    sends_body = call.body is not None or call.form
    method = call.method or ("POST" if sends_body else "GET")
    if method != "POST":
        if call.method:
            problems.append((f"{_quote(call, call.method_line, '-X')}: this sends a {method}, "
                             "and "
f"`{fixed_path}` only takes POST.",
                             "A GET there answers 404 or 405. "
                             + ("Drop the `-X " + call.method + "` (curl POSTs when it has a "
                                "`-d` body)." if call.source == "curl" else
                                f"Use `{call.library}.post(...)`.")))
        else:
            problems.append((f"{_quote(call, call.url_line, 'http')}: there is no `-d` body, "
                             "so curl "
                             f"sends a GET, and `{fixed_path}` only takes POST.",
                             "Add the JSON body with `-d '{...}'` (curl then sends a POST)."))
    else:
        passed.append("POST")

    # The key.
    headers = call.headers
    auth = headers.get("authorization")
    if provider in ("openai", "compatible"):
        if auth and _key_reference(auth[1]):
            problems.append((f"{_quote(call, auth[2], auth[0])}: the key has no `Bearer ` "
                             "in front.",
                             f"{label} reads `Authorization: Bearer <key>`; the key alone "
                             "gets a 401 (\u201cYou didn't provide an API key\u201d)."))
        elif auth is None and "x-api-key" in headers and provider == "openai":
            problems.append((f"{_quote(call, headers['x-api-key'][2])}: OpenAI does not read "
                             "`x-api-key`.", "Send the key as `Authorization: Bearer <key>` "
                             "(`x-api-key` is Anthropic's header)."))
        elif auth is None and provider == "openai" and call.headers_known and not (
                call.other_auth):
            problems.append((f"{_quote(call, call.url_line, 'http')}: no `Authorization` "
                             "header, so "
                             "no key is sent.", "Add `Authorization: Bearer $OPENAI_API_KEY` "
                             "(a 401 otherwise)."))
        elif auth is not None and auth[1].lower().startswith("bearer ") and (
                "authorization" not in call.single_quoted):
            passed.append("`Authorization: Bearer ...`")
    else:
        if "x-api-key" in headers:
            passed.append("the key in `x-api-key`")
        elif call.headers_known and not call.other_auth:
            near = (auth[2], auth[0]) if auth else (call.url_line, "http")
            problems.append((f"{_quote(call, *near)}: no `x-api-key` header"
                             + (" (Anthropic does not take the key as `Authorization`)."
                                if auth else "."),
                             "Anthropic reads the key from `x-api-key: $ANTHROPIC_API_KEY`; "
                             "without it the call gets a 401."))
        if "anthropic-version" in headers:
            passed.append("`anthropic-version`")
        elif call.headers_known:
            problems.append((f"{_quote(call, call.url_line, 'http')}: no `anthropic-version` "
                             "header.",
                             "It is required: add `anthropic-version: 2023-06-01` (a 400 "
                             "\u201canthropic-version: header is required\u201d otherwise)."))
    for name in sorted(call.single_quoted):
        if name in headers and "$" in headers[name][1]:
            problems.append((f"{_quote(call, headers[name][2], headers[name][0])}: "
                             f"`{_var_of(headers[name][1])}`"
                             " is inside single quotes, so the shell sends it as the text "
                             f"`{headers[name][1].split()[-1]}`, not the key.",
                             "Use double quotes around a header with a variable in it."))

    # The body's type.
    if sends_body and not call.body_json:
        ctype = headers.get("content-type")
        if call.form:
            at = _quote(call, call.form_line, call.body_flag)
            problems.append((f"{at}: the body is sent form-encoded, not as "
                             "JSON.", "Send JSON: " + (
                                 f"`{call.library}.post(url, json=payload)`" if call.source ==
                                 "python" else "`-H \"Content-Type: application/json\"` and "
                                 "`-d '{...}'`") + " (a 400 or 415 otherwise)."))
        elif ctype is None and call.headers_known:
            problems.append((f"{_quote(call, call.body_line, call.body_flag)}: no `Content-Type: "
                             "application/json` header.",
                             "Without it curl labels the body a form "
                             "(`application/x-www-form-urlencoded`); send the header so the API "
                             "reads the body as JSON."
                             if call.source == "curl" else
                             "`data=` sends no JSON content type; pass the dict as `json=` "
                             "instead (it sets the header and encodes the body)."))
        elif ctype is not None and "application/json" not in ctype[1].lower():
            problems.append((f"{_quote(call, ctype[2], ctype[0])}: `Content-Type` is "
                             f"`{ctype[1]}`.",
                             "The API takes `application/json`."))
        elif ctype is not None:
            passed.append("`Content-Type: application/json`")
    elif sends_body:
        passed.append("a JSON body (" + ("`--json`" if call.source == "curl" else "`json=`")
                      + ")")

    # The body itself.
    body = call.body
    if isinstance(body, str) and call.source == "curl":
        try:
            parsed = json_check(body)
        except RecursionError:  # nested thousands deep: not a body to check
            parsed = None
        if parsed is not None and not parsed.parsed and not _ELIDED.search(body):
            at = _quote(call, call.body_line, call.body_flag)
            problems.append((f"{at}: the body is not valid JSON ({parsed.parse_error}).",
                             parsed.hint or "Check the quotes and commas; in a shell, the "
                             "body is usually safest in single quotes."))
        # A body that does not parse stays as written in the corrected command.
        body = parsed.value if parsed is not None and parsed.parsed else _Unknown(body)
    if isinstance(body, dict):
        _check_body(call, provider, endpoint, body, passed, problems)
    elif body is not None and not isinstance(body, _Unknown):
        at = _quote(call, call.body_line, call.body_flag)
        problems.append((f"{at}: the body is not a JSON object.",
                         "It must be one object: `{\"model\": ..., ...}`."))

    improved = ""
    if problems:
        improved = _corrected(call, provider, endpoint, fixed_path, body)
    return Review(f"Check of your {what} to {label} (`{fixed_path}`)", passed, problems,
                  improved, ("request-anatomy",),
                  improved_label="The corrected " + ("command" if call.source == "curl"
                                                     else "call"))


def _check_body(call: HttpCall, provider: str, endpoint: str, body: dict[str, Any],
                passed: list[str], problems: list[tuple[str, str]]) -> None:
    at = _quote(call, call.body_line, call.body_flag)
    if endpoint in _NEEDS_MODEL:
        if "model" in body:
            passed.append("`model`")
        else:
            problems.append((f"{at}: the body has no `model`.",
                             "Name the model: `\"model\": \"" + _DEFAULT_MODEL[provider]
                             + "\"` (a 400 otherwise)."))
    if endpoint == "messages" and not isinstance(body.get("max_tokens"), _Unknown):
        if "max_tokens" in body:
            passed.append("`max_tokens`")
        else:
            problems.append((f"{at}: the body has no `max_tokens`.",
                             "Anthropic requires it: `\"max_tokens\": 1024` (a 400 "
                             "otherwise)."))
    if endpoint not in ("chat", "chat-deployed", "messages", "count_tokens"):
        return
    messages = body.get("messages")
    if isinstance(messages, _Unknown):
        return
    if messages is None:
        extra = " (`prompt` belongs to the old completions endpoint)" if "prompt" in body \
            else ""
        problems.append((f"{at}: the body has no `messages`{extra}.",
                         "Send the conversation as a list: `\"messages\": [{\"role\": "
                         "\"user\", \"content\": \"...\"}]`."))
        return
    if not isinstance(messages, list):
        kind = "a string" if isinstance(messages, str) else "an object" if isinstance(
            messages, dict) else f"a {type(messages).__name__}"
        problems.append((f"{at}: `messages` is {kind}, not a list.",
                         "It must be a list of `{\"role\": ..., \"content\": ...}` objects: "
                         "`\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]`."))
        return
    if not messages:
        problems.append((f"{at}: `messages` is empty.", "It needs at least one message: "
                         "`[{\"role\": \"user\", \"content\": \"...\"}]` (a 400 otherwise)."))
        return
    roles = _OPENAI_ROLES if provider != "anthropic" else _ANTHROPIC_ROLES
    bad = []
    system = False  # a system turn inside Anthropic's messages, reported on its own
    for n, item in enumerate(messages[:50]):
        if isinstance(item, _Unknown):
            continue
        if not isinstance(item, dict):
            bad.append(f"item {n} is not an object")
        elif "role" not in item:
            bad.append(f"item {n} has no `role`")
        elif "content" not in item and not (item.get("tool_calls") or item.get(
                "function_call")):
            bad.append(f"item {n} has no `content`")
        elif provider == "anthropic" and item.get("role") == "system":
            problems.append((f"{at}: a `system` message inside `messages`.",
                             "Anthropic takes the system prompt as the top-level `\"system\"` "
                             "field; `messages` holds only `user` and `assistant` turns."))
            system = True
        elif isinstance(item.get("role"), str) and item["role"] not in roles:
            bad.append(f"item {n} has the role `{item['role']}`")
    if bad:
        problems.append((f"{at}: `messages` " + "; ".join(bad[:3]) + ".",
                         "Each item is `{\"role\": \"user\" | \"assistant\""
                         + (" | \"system\"" if provider != "anthropic" else "")
                         + ", \"content\": \"...\"}`."))
    elif not system:
        passed.append("`messages` as a list of role/content objects")


# --- the corrected call ---------------------------------------------------------------------

def _fixed_body(provider: str, endpoint: str, body: Any) -> Any:
    if not isinstance(body, dict):
        if body is None and endpoint in ("chat", "chat-deployed", "messages"):
            body = {}
        else:
            return body
    body = dict(body)
    if endpoint in _NEEDS_MODEL and "model" not in body:
        body = {"model": _DEFAULT_MODEL[provider], **body}
    if endpoint in ("chat", "chat-deployed", "messages", "count_tokens"):
        messages = body.get("messages")
        if messages is None:
            prompt = body.pop("prompt", None)
            messages = [{"role": "user", "content": prompt if isinstance(prompt, str)
                         else "Hello"}]
        elif isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        elif isinstance(messages, dict):
            messages = [messages]
        if isinstance(messages, list):
            fixed = []
            for item in messages:
                if isinstance(item, str):
                    item = {"role": "user", "content": item}
                elif isinstance(item, dict) and "role" not in item:
                    item = {"role": "user", **item}
                if (provider == "anthropic" and isinstance(item, dict)
                        and item.get("role") == "system" and "system" not in body):
                    body["system"] = item.get("content")
                    continue
                fixed.append(item)
            messages = fixed
        body["messages"] = messages
    if endpoint == "messages" and "max_tokens" not in body:
        body["max_tokens"] = 1024
    return body


def _curl_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _corrected(call: HttpCall, provider: str, endpoint: str, path: str, body: Any) -> str:
    parts = urlsplit(call.url if "://" in call.url else f"https://{call.url}")
    url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
    auth = call.headers.get("authorization")
    var = _var_of(auth[1]) if auth else None
    if var is None and "x-api-key" in call.headers:
        var = _var_of(call.headers["x-api-key"][1])
    var = var or _KEY_VAR[provider]
    headers: list[tuple[str, str]] = []
    if provider == "anthropic":
        headers.append(("x-api-key", f"${var}"))
        headers.append(("anthropic-version",
                        call.headers.get("anthropic-version", ("", "2023-06-01", 0))[1]))
    elif auth is not None or provider == "openai":
        headers.append(("Authorization", f"Bearer ${var}"))
    headers.append(("Content-Type", "application/json"))
    skip = {"authorization", "x-api-key", "anthropic-version", "content-type"}
    headers += [(name, value) for low, (name, value, _) in call.headers.items()
                if low not in skip]
    new_body = _fixed_body(provider, endpoint, body) if not isinstance(body, _Unknown) else body
    if call.source == "python":
        return _python_call(call, url, headers, new_body, var)
    first = "curl " + " ".join([*(shlex.quote(e) for e in call.extra[:6]), url])
    lines = [first]
    lines += [f'  -H "{name}: {value}"' for name, value in headers]
    if isinstance(new_body, _Unknown):
        lines.append(f"  -d {_curl_quote(new_body.source)}")
    elif new_body is not None:
        lines.append(f"  -d {_curl_quote(_json_text(new_body))}")
    elif call.body_text is not None:
        lines.append(f"  -d {_curl_quote(call.body_text)}")
    return "```bash\n" + " \\\n".join(lines) + "\n```"


def _json_text(body: Any) -> str:
    compact = json.dumps(body, ensure_ascii=False, default=repr)
    return compact if len(compact) <= 110 else json.dumps(body, ensure_ascii=False, indent=2,
                                                         default=repr)


def _py_literal(value: Any, indent: int = 4) -> str:
    """A Python literal as a learner would write it, unknown parts as they wrote them."""
    if isinstance(value, _Unknown):
        return value.source
    if isinstance(value, dict):
        items = [f"{json.dumps(k)}: {_py_literal(v, indent + 4)}" for k, v in value.items()]
        flat = "{" + ", ".join(items) + "}"
        if len(flat) <= 80:
            return flat
        pad = " " * (indent + 4)
        return "{\n" + ",\n".join(pad + i for i in items) + ",\n" + " " * indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_literal(v, indent) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return repr(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _python_call(call: HttpCall, url: str, headers: list[tuple[str, str]], body: Any,
                 var: str) -> str:
    shown = []
    for name, value in headers:
        if name.lower() == "content-type" and body is not None:
            continue  # json= sets it
        if f"${var}" in value:
            value = value.replace(f"${var}", "{os.environ['" + var + "']}")
            shown.append(f"{json.dumps(name)}: f{json.dumps(value)}")
        else:
            shown.append(f"{json.dumps(name)}: {json.dumps(value)}")
    lines = [f"response = {call.library}.post(", f"    {json.dumps(url)},",
             "    headers={" + ", ".join(shown) + "},"]
    if body is not None:
        lines.append(f"    json={_py_literal(body)},")
    lines += ["    timeout=60,", ")"]
    return "```python\nimport os\n\n" + "\n".join(lines) + "\n```"
