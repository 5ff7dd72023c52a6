"""Decide whether a regex hit is a secret: placeholders, references, identifiers, names.

The scanner calls ``accept(rule, text, match, secret)`` for every hit. Provider
rules only pass the placeholder checks; name-anchored rules (``Rule.generic``)
also have their *name* read as words (``credentialId`` -> credential + id: an
id, not a secret; ``MYSQLPASS`` -> a password) and their *value* checked for
what a literal secret is not: ``${VAR}``, ``os.environ[...]``, a camelCase
identifier, a type name, a file name, a well-known default. ``accept`` returns
the rule to report (a password's name turns ``generic-secret`` into
``generic-password``) or ``None``.

Pure functions over strings; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import math
import re

from apilab.secretscan.context import (
    env_entry,
    env_line,
    in_ternary,
    name_span,
    name_words,
    option_before,
    pair_user,
    setter,
    spaced_key,
)
from apilab.secretscan.provider_names import near_miss, off_format
from apilab.secretscan.redact import KNOWN_PREFIXES
from apilab.secretscan.rules import RULES_BY_ID, Rule
from apilab.secretscan.tokens import entropy, prefixed_token_ok, reserved_prefixes

__all__ = ["accept", "entropy", "is_placeholder", "name_kind", "name_words", "secret_group"]

# Substrings that mark a value as an example or a placeholder. Case-sensitive and at
# least 5 characters (or containing "_"/"-"), so a random key body contains one by chance
# with probability well under one in a million.
_PLACEHOLDER_MARKERS = (
    "EXAMPLE", "example", "Example", "YOUR_", "your_", "your-", "Your_", "_HERE", "_here",
    "PLACEHOLDER", "placeholder", "REDACTED", "redacted", "changeme", "CHANGEME", "dummy",
    "DUMMY", "sample", "SAMPLE", "notreal", "NOTREAL", "not_real", "fake_", "FAKE_", "fake-",
    "xxxx", "XXXX", "1234567", "abcdefg", "ABCDEFG", "<your", "<YOUR", "...", "…", "***",
    "12345", "abcdef", "54321", "43210", "98765", "-1234-", "####",
    # self-declared non-keys ("53d49dnotakeyata9...")
    "notakey", "NOTAKEY", "notasecret", "not_a_",
    # the alphabet in order, or letters and digits interleaved in order (the placeholders
    # tests/secretscan/outside/debatable.yaml leaves out of the scores)
    "bcdefgh", "BCDEFGH", "ghijklm", "GHIJKLM", "stuvwxy", "STUVWXY", "zyxwvut", "ZYXWVUT",
    "gfedcba", "GFEDCBA", "a1b2c3d4", "A1B2C3D4", "d4c3b2a1",
)
# For name-anchored values, where the value has no structure of its own, looser words.
_GENERIC_MARKERS = ("fake", "example", "dummy", "sample", "placeholder", "changeme",
                    "change_me", "redacted", "xxxx", "1234", "your", "foobar", "lorem",
                    "mock", "todo", "fixme", "insert", "replace", "secret", "password",
                    "passwd", "token", "apikey", "api_key", "****", "0000", "qwerty", "invalid")
_RUN = re.compile(r"(.)\1{5,}")  # six of the same character in a row
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
_WORD_SEGMENT = re.compile(r"(?:^|[-_.])[a-z]{5,}(?:[-_.]|$)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_UUID4 = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
                    r"-[0-9a-fA-F]{12}")
_DOTTED_IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?")
_CONST_IDENT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
# "APILAB_BACKEND=gemini" quoted next to a key's name in prose: another variable being set.
_ENV_ASSIGNMENT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+=[a-z0-9._-]*$")
# Words joined by "_" or "-", each may end in a short number: "max-tokens", "mem0-api-key".
_WORDS_IDENT = re.compile(r"[a-z]+\d{0,3}(?:[_-][a-z]+\d{0,3})+")
_CAMEL_IDENT = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}"
                          r"|(?:[A-Z][a-z]+)+-(?:[A-Z][a-z]+)+")  # a cmdlet: ConvertTo-SecureString
# 32+ hex digits, or 24+ letters and digits mixed: no version or package name has one.
_RANDOM_PART = re.compile(r"(?<![0-9a-f])[0-9a-f]{32,}"
                          r"|(?=[A-Za-z]{0,23}[0-9])(?=[0-9]{0,23}[A-Za-z])[A-Za-z0-9]{24,}")
_HEX_VALUE = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_VERSION = re.compile(r"\d+\.\d+\.\d+|[-:]\d+\.\d+$")
_CALL_OR_INDEX = re.compile(r"[A-Za-z_$][\w$.]*[(\[]")
_FILE_SUFFIXES = (".pem", ".key", ".json", ".txt", ".crt", ".p12", ".pfx", ".yml", ".yaml",
                  ".env", ".ini", ".cfg", ".conf", ".properties", ".xml", ".der", ".jks",
                  ".cer", ".pub", ".gpg", ".asc", ".html", ".js", ".py", ".sh")

_PASSWORD_WORDS = frozenset({
    "password", "passwd", "passw", "pass", "pwd", "pw", "pswd", "psswd", "pswrd", "psword",
    "psswrd", "pssword", "paswd", "paswrd", "pasword", "passwrd", "passphrase", "pword",
    "passcode", "passwords", "pwds",
})
_NOT_PASSWORD_ENDINGS = ("bypass", "compass", "surpass", "overpass", "underpass", "trespass",
                         "encompass", "morepass")
_SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "apikey", "credential", "credentials", "creds", "cred",
    "auth", "authkey", "authtoken", "accesstoken", "privatekey", "secretkey", "clientsecret",
    "accesskey", "masterkey", "apitoken", "bearer",
})
# "<word> key" is a secret only after one of these ("some_key" is not: too noisy).
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "client", "app", "auth", "master", "encryption",
    "signing", "session", "jwt", "hmac", "account", "service", "ssh", "gpg", "pgp",
    "consumer", "subscription", "shared", "storage", "sas", "webhook", "admin", "root",
    "license", "crypt", "cipher", "aes", "des", "rsa", "token", "bot", "mcp",
    # providers whose keys are often kept as <PROVIDER>_KEY
    "openai", "anthropic", "claude", "gemini", "google", "cohere", "mistral", "groq",
    "deepseek", "azure", "aws", "stripe", "slack", "github", "gitlab", "twilio", "sendgrid",
    "mailgun", "firebase", "supabase", "pinecone", "huggingface", "hf", "replicate",
    "together", "perplexity", "xai", "fireworks", "voyage", "elevenlabs", "tavily", "serp",
    "serpapi", "algolia", "sentry", "datadog", "openrouter", "langsmith", "langchain",
    "weaviate", "qdrant", "mapbox", "maps", "youtube", "telegram", "discord", "notion",
})
# "<word> key" after one of these names a lookup or storage key, not a credential; after
# any other word ("craftmypdf_key", "zerobounceKEY", "SCRAPERAPI_KEY") the name is a
# service's key, reported only for a long random value (see ``_value_ok``, kind "key").
_STRUCTURAL_KEY_WORDS = frozenset({
    "cache", "sort", "primary", "foreign", "partition", "row", "column", "dict", "map",
    "lookup", "object", "s3", "redis", "idempotency", "dedup", "dedupe", "group", "routing",
    "shard", "index", "unique", "composite", "natural", "surrogate", "cluster", "hash",
    "range", "cursor", "entity", "record", "item", "message", "translation", "i18n",
    "locale", "state", "memo", "react", "list", "node", "field", "attribute", "attr",
    "config", "setting", "settings", "option", "registry", "metadata", "meta", "env",
    "dataset", "table", "bucket", "file", "blob", "path", "kms", "ctx", "context", "data",
    "json", "sorting", "order", "cmp", "compare", "join", "parent", "child", "root",
    "next", "prev", "last", "first", "default", "custom", "user", "name", "type", "the",
    "this", "my", "new", "old", "tmp", "temp", "local", "global", "x", "y", "k", "dk",
    "pk", "fk", "sk", "rk", "ck", "id", "uid", "uuid", "url", "uri", "host", "query",
    "param", "arg", "var", "label", "tag", "event", "task", "job", "queue", "topic",
    "stream", "channel", "room", "rate", "throttle", "lock", "mutex",
    "semaphore", "counter", "metric", "stat", "stats", "log", "trace", "span", "request",
    "response", "header", "body", "form", "input", "output", "result", "value", "values",
    "str", "string", "int", "byte", "bytes", "char", "prefix", "suffix", "base", "full",
    "short", "long", "sub", "super", "top", "bottom", "left", "right", "up", "down",
    "public", "pub", "verify", "verification", "idp", "jwk", "jwks", "kid", "hotkey", "hot",
})
# A name ending in one of these words describes a secret instead of holding one.
_META_LAST_WORDS = frozenset({
    "id", "ids", "name", "names", "type", "types", "url", "uri", "urls", "endpoint", "path",
    "file", "files", "dir", "length", "len", "size", "count", "ttl", "expiry", "expires",
    "expiration", "exp", "timeout", "version", "format", "prefix", "suffix", "field", "label",
    "header", "policy", "mode", "method", "enabled", "required", "hint", "pattern", "regex",
    "rule", "index", "hash", "digest", "checksum", "fingerprint", "placeholder", "example",
    "region", "host", "port", "user", "username", "login", "email", "env", "var", "ref",
    "refs", "arn", "location", "provider", "manager", "store", "backend", "class", "key",
    "keys", "status", "error", "message", "msg", "text", "description", "title", "help",
    "validator", "validation", "min", "max", "limit", "strength", "reset",
    "changed", "change", "confirm", "confirmation", "input", "box", "column", "param",
    "params", "option", "options", "flag", "set", "get", "entered", "updated", "created",
    "at", "on", "lifetime", "duration", "age", "seconds", "ms", "kind", "source", "output",
    "schema", "struct", "builder", "factory", "handler", "service", "client", "session",
    "cache", "request", "response", "callback", "hook", "listener", "event", "display",
    "visible", "icon", "button", "dialog", "form", "view", "widget", "component", "id_token",
    "mgr", "realm", "helper", "prompt",
})
# Words that anywhere in the name mean "not a secret value".
_NOT_SECRET_NAME_WORDS = frozenset({
    "public", "publishable", "pubkey", "csrf", "xsrf", "tokenizer", "tokenize", "tokenized",
    "tokens", "tokenizers", "hash", "hashed", "digest", "checksum", "integrity", "sha1",
    "sha256", "sha512", "md5", "etag", "fingerprint", "placeholder", "example", "sample",
    "dummy", "fake", "mock", "usage", "cost", "price", "budget", "keyvault", "keyboard",
    "keystroke", "keypress", "keydown", "keyup", "keyword", "keywords", "keyframe",
    "keyframes", "keychain", "keystore", "monkey", "turkey", "hotkey", "author", "authors",
    "authority", "authorities", "authenticated", "authentication", "authorization",
    "authorize", "authorized", "authenticator", "authz", "authn", "autho", "passenger",
    "passengers", "passive", "passport", "passthrough", "passthru", "passage", "passes",
    "passed", "passing", "secretary", "credit", "credits", "primary", "foreign",
    # test fixtures named for what they are not
    "invalid", "nonmatching", "wrong", "bad", "expired", "revoked", "malformed", "bogus",
    "through", "thru",
})
# "<word> token" after one of these is a handle for paging, retries or concurrency that an
# API hands out openly (ClientRequestToken, ChangeToken, NextToken), not a credential.
_HANDLE_TOKEN_WORDS = frozenset({
    "request", "change", "lifecycle", "idempotency", "continuation", "pagination", "next",
    "page", "paging", "cursor", "cancel", "sync", "resume", "marker",
})
_COMMON_DEFAULTS = frozenset({
    "password", "passw0rd", "postgres", "secret", "admin", "root", "guest", "changeme",
    "test", "testing", "example", "default", "123456", "12345678", "letmein", "qwerty",
    "username", "user", "pass", "mysql", "redis", "none", "null", "undefined", "required",
    "optional", "string", "hunter2", "tiger", "scott", "str", "bool", "int", "true", "false",
    "nil", "secretstr", "any", "object", "bytes", "char", "text", "varchar", "boolean",
    "number", "integer", "token", "apikey", "api_key", "secret_key", "private", "public",
    "sensitive", "hidden", "masked", "encrypted", "unknown", "notset", "not_set", "empty",
    "disabled", "enabled", "anonymous", "bearer", "basic", "oauth", "oauth2", "jwt",
})
# Lowercase words that fill a password's field without being one: input types, field
# roles, hash schemes and "password" in other languages (translation files).
_WORD_NOT_PASSWORDS = frozenset({
    "hidden", "masked", "secure", "current", "confirm", "confirmed", "required", "missing",
    "invalid", "incorrect", "mismatch", "strong", "weak", "plain", "plaintext", "cleartext",
    "bcrypt", "scrypt", "argon", "sha", "crypt", "pbkdf", "digest", "keyring", "prompt",
    "interactive", "environment", "file", "stdin", "random", "generate", "generated",
    "passwort", "kennwort", "wachtwoord", "senha", "parola", "haslo", "heslo", "salasana",
    "adgangskode", "passord", "losenord", "jelszo", "sifre", "katalaluan", "lozinka",
    "contrasena", "motdepasse", "geslo", "parool", "slaptazodis", "parole",
})
# Hosts of local development: a URL there is reported only with a strong password.
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")
# Hosts that only appear in examples and local development.
_EXAMPLE_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "example.com", "example.org",
                  "example.net", "host", "hostname", "server")
# Values starting like a template, a path or a reference are not literals.
_REFERENCE_STARTS = ("$", "%(", "{", "<", "/", "./", "~/", "\\", "#", "@", "&", "[", "(",
                     "%", "*", "!", "?", "=", ":", "+", "^")
# Passwords often start with a symbol ("#TQ...", "!x9..."): fewer starts mean a reference.
# (A "," or ";" first is the text between two strings: '"Password:",remember...:"'.)
_PASSWORD_REFERENCE_STARTS = ("$", "%(", "{", "<", "/", "./", "~/", "\\", ",", ";")
_REFERENCE_PARTS = ("://", "os.environ", "process.env", "getenv", "environ[", "env(",
                    "env.", "secrets.", "vault:", "ssm:", "secretsmanager", "::", "\\n",
                    "\\t")
# A value that is only a template expression: ${VAR}, {{ var }}, <%= x %>, #{x}, $(cmd),
# or a Windows variable, %PASSWORD%.
_TEMPLATE = re.compile(r"\$\{[^}]*\}|\{\{.*\}\}|<%.*%>|#\{[^}]*\}|\$\([^)]*\)"
                       r"|%[A-Za-z_][A-Za-z0-9_]*%")

# SHA-256 of documented public values, recorded as hashes so this file holds no key: the
# example Google API keys of the Firebase Android SDK's docs and tests (gitleaks allows the
# same list), and the public search-only key of the npm registry mirror Yarn queries.
_PUBLIC_VALUES = frozenset({
    "27a9a42931dff7eb2f8434e20a9bce976ea364e7bee49187f19d5cfeca9c7045",
    "49f777db995e8260da7ca9ffdf0c08d66f0453e97ec967018baf2cdfe3b582d0",
    "a6c814bc555ae62c7bd8b58ec07bf559c7ed3a009976a1e0acc9cef0d4473b41",
    "8731261cb72d86267a32a532ebd3df429e2144e5e4ced7e13568bc9e6c8fb1b1",
    "37f8f09bdf12c2f2eae4ead7273a62ddb0c23459cbf902892f282b57f7ed6619",
    "eb540d2b6ee2a0a47c5779bc8a0141784c6b753840d4c6f4e2428a6e86e9e0b1",
    "2037abcaffb2b77785da716cf7ccff4ff4d00c4ea930db0167b7d71f50af7eb4",
    "3a8b61d0f636b007840c0d40ba12bcf48465dc054cdc1a68704a33521d84b665",
    "4c98242dcadc8b29005c6b4aad526552d5ea1842149154c0694adeec75847583",
    "ea9bb1082cf95663f5faca23b8b15ef2aa0fce0a5c6df9c32dcb85b2e0a4513d",
    "3f370c9dd8225c63b5c77de1f785edc9712958f18bb612d5fa2e0ae33aeca682",
    "a19f89ab3555eac10c40741f6df79ecf0935998f15569f8db9d67bce0181fff6",
    "e4a5542bb7fd7b67e943c71ad29c34b5972c9840597e7eda53e666f44d5da0b9",
    "dc0fcf046c61640cbd1e8b999ada3262d722c2ca4bf42dceac999020ffdbb614",
    "f56e323494a6ffc2064e7a955908957d84f0755e5f975dabd64328d0359a8f7c",
    "0b476bdf9acf2123d547b5ae76f1e59884d8ec9553ee0c47e9f31fd4768f3f3c",
    "2f21fd9c81678e396751af8b2472e2bd209ff5ce38da144052fb6c024485982f",
})


def is_placeholder(value: str) -> bool:
    """An example or placeholder value (markers, or six identical characters in a row)."""
    return any(m in value for m in _PLACEHOLDER_MARKERS) or bool(_RUN.search(value))


def _is_public(value: str) -> bool:
    return hashlib.sha256(value.encode()).hexdigest() in _PUBLIC_VALUES


@functools.lru_cache(maxsize=4096)
def name_kind(name: str) -> str | None:
    """"password", "secret", "key" (a service's key: stricter values) or None for a name."""
    words = name_words(name)
    if not words:
        return None
    low = name.lower()
    if any(w in _NOT_SECRET_NAME_WORDS for w in words) or any(
            part in low for part in ("keyvault", "nonmatching", "notmatching")):
        return None
    last = words[-1]
    if last == "token" and len(words) > 1 and words[-2] in _HANDLE_TOKEN_WORDS:
        return None
    if last in _META_LAST_WORDS and not (last == "key" and _key_is_secret(words)):
        service = _service_word(words)
        if last == "key" and service and not any(w in _META_LAST_WORDS for w in words[:-1]):
            return "key"
        return None
    for w in words:
        if w in _PASSWORD_WORDS:
            return "password"
        if w.endswith(("password", "passwd", "pwd")) or (
                w.endswith("pass") and not w.endswith(_NOT_PASSWORD_ENDINGS)):
            return "password"
    if any(w in _SECRET_WORDS for w in words):
        return "secret"
    if any(w.endswith(("apikey", "secretkey", "accesskey", "privatekey", "authkey",
                       "authtoken", "accesstoken", "apitoken", "secret", "token"))
           for w in words):
        return "secret"
    if _key_is_secret(words):
        return "secret"
    if last in ("access", "private") and _service_word(words) and not any(
            w in _META_LAST_WORDS or w in _KEY_QUALIFIERS for w in words[:-1]):
        # a service's name and ACCESS or PRIVATE ("zerobounceACCESS", "pdfshift ACCESS"):
        # a key of that service, reported only for a long random value, as "<service>_key"
        return "key"
    return None


def _service_word(words: list[str]) -> str:
    """The word before the last, when it may be a service's name ("craftmypdf" in
    craftmypdf_key; "ai21" in ai21_key, whose digits the word split parts), else ""."""
    if len(words) < 2:
        return ""
    word = words[-2]
    if word.isdigit() and len(words) > 2 and words[-3].isalpha():
        word = words[-3] + word
    if not word[0].isalpha() or len(word) < 3 or word in _STRUCTURAL_KEY_WORDS:
        return ""
    return word


def _key_is_secret(words: list[str]) -> bool:
    return any(w == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS
               for i, w in enumerate(words))


def _value_ok(value: str, kind: str, quoted: bool, word_ok: bool = False) -> bool:
    """Whether a name-anchored value looks like a literal secret of this kind.

    ``word_ok``: the value is a literal given to the password itself (``password =
    "..."``, ``PASSWORD=...`` alone on an .env line, ``-p ...``), not an item in a list
    of strings, so one lowercase word may be the password.
    """
    low = value.lower()
    starts = _PASSWORD_REFERENCE_STARTS if kind == "password" else _REFERENCE_STARTS
    if value.startswith(starts) or any(p in value for p in _REFERENCE_PARTS):
        return False
    if _TEMPLATE.fullmatch(value) or _ENV_ASSIGNMENT.match(value):
        return False
    if value.startswith("eyJ") and _JWT_WORD_SIGNATURE.fullmatch(value):
        return False  # a JWT signed "signature": documentation's made-up token
    if low in _COMMON_DEFAULTS or any(m in low for m in _GENERIC_MARKERS):
        return False
    # (Leading "AAAA..." is base64 of zero bytes, as in Twitter bearer tokens: not a filler.)
    if _RUN.search(value.lstrip("A").rstrip("=")) or _is_public(value):
        return False
    if value.startswith(("0x", "0X")) and all(c in "0123456789abcdefABCDEF" for c in value[2:]):
        return False  # a number in hex, not a password
    if kind == "secret" and _VERSION.search(value) and not _RANDOM_PART.search(value):
        # a version string (io.jsonwebtoken:jjwt-jackson:0.11.2), unless a long hex or
        # mixed part follows it (a token of dot-separated fields "pdct.1.1.2021...<hex>")
        return False
    if low.endswith(_FILE_SUFFIXES) or _CALL_OR_INDEX.match(value):
        return False
    alnum = sum(c.isalnum() for c in value)
    if alnum == 0 or (value.isdigit() and len(value) < 16):
        return False
    has_digit = any(c.isdigit() for c in value)
    if (_DOTTED_IDENT.fullmatch(value) and not has_digit) or (_CONST_IDENT.fullmatch(value)
            or _WORDS_IDENT.fullmatch(value) or _CAMEL_IDENT.fullmatch(value)):
        return False
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    has_symbol = alnum < len(value)
    if kind == "password":
        if len(value) < 6 or entropy(value) < 2.0:
            return False
        # a plain word is not a password; a long run of random lower-case letters (an app
        # password such as Gmail's 16 letters) is: words hold about 40% vowels, random
        # letters under 25%.
        if value.isalpha() and value.islower() and _random_letters(value):
            return True
        if word_ok and value.isalpha() and value.islower() and value.isascii():
            # A literal given to a password is one even when it is one lowercase word
            # ("whiteduke"); known defaults and placeholders are left above. Unquoted in
            # code, a lone word is as often a variable (``password = credentials``).
            return low not in _WORD_NOT_PASSWORDS and low not in _PASSWORD_WORDS
        return not (value.isalpha() and (value.islower() or value.isupper() or value.istitle()))
    if kind == "key" and _UUID4.fullmatch(value):
        # Many services issue random (version 4) UUIDs as keys. Lookup keys named so are
        # caught by the name (idempotency_key, cache_key ...); the example UUID of the
        # RFC and Wikipedia, "123e4567-e89b-12d3-...", is version 1 and stays out.
        return True
    if kind == "key":
        # A service's own key name: only a long random value mixing letters and digits
        # (not another UUID: time-based ones are ids).
        # A token: no code ("n.reason&&..."), no dotted type ("mlkem.MLKEM768PrivateKey"),
        # no words between separators ("w32-registered-hot-keys").
        return (len(value) >= 20 and has_digit and (has_lower or has_upper)
                and entropy(value) >= _key_entropy(value) and not _UUID.fullmatch(value)
                and sum(c.isdigit() for c in value) < len(value) - 4
                and bool(_TOKEN_CHARS.fullmatch(value)) and not _DOTTED_IDENT.fullmatch(value)
                and not _WORD_SEGMENT.search(value))
    if len(value) < 8 or entropy(value) < min(3.0, math.log2(len(value)) - 0.5):
        return False
    if _UUID.fullmatch(value):
        return True  # many services' keys are UUIDs; the name said it is a secret
    if has_digit and (has_lower or has_upper):
        return True
    # Without a digit, only long mixed-case (or symbol-laden) quoted values: unquoted ones
    # are usually type or class names (``token: TokenProvider``).
    return quoted and len(value) >= 16 and ((has_upper and has_lower) or has_symbol)


def _key_entropy(value: str) -> float:
    """The least entropy a random key of this length and alphabet shows (99 in 100 do).

    3.5 bits for letters and digits; hex has only 16 symbols, so a random 20-digit hex key
    has 3.38 bits (median) and 3.5 turned away three in four of them (one in five at 32).
    """
    if not _HEX_VALUE.fullmatch(value):
        return 3.5
    n = len(value)
    return 2.9 if n < 24 else 3.0 if n < 32 else 3.2 if n < 40 else 3.35


def _random_letters(value: str) -> bool:
    """Letters drawn at random rather than a word: long, varied and short of vowels."""
    vowels = sum(c in "aeiou" for c in value)
    return len(value) >= 14 and entropy(value) >= 3.4 and vowels <= 0.25 * len(value)


def _folded(text: str) -> str:
    """Lower case with "-" read as "_" (an element's name and its id differ only so)."""
    return text.lower().replace("-", "_")


_SECRET_GROUPS: dict[int, tuple[re.Pattern[str], tuple[tuple[int, str | None], ...]]] = {}


def _secret_groups(pattern: re.Pattern[str]) -> tuple[tuple[int, str | None], ...]:
    """(index, name) of the groups that may hold the secret, in order.

    Looked up by the pattern's id (checked against the pattern kept beside it):
    hashing a compiled pattern walks its whole program, which cost more than the lookup.
    """
    entry = _SECRET_GROUPS.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        names = {i: n for n, i in pattern.groupindex.items()}
        found = tuple((i, names.get(i)) for i in range(1, pattern.groups + 1)
                      if not names.get(i, "").startswith("_"))
        if len(_SECRET_GROUPS) > 4096:
            _SECRET_GROUPS.clear()
        entry = _SECRET_GROUPS[id(pattern)] = (pattern, found)
    return entry[1]


def secret_group(match: re.Match[str]) -> tuple[str | None, int]:
    """(group name, index) of the secret: the first matched group not named ``_...``."""
    for i, name in _secret_groups(match.re):
        if match.start(i) >= 0:
            return name, i
    return None, 0


# A JWT whose signature is a word or a bracketed hole ("eyJ...eyJ....signature",
# "...<signature>"): documentation's made-up token. A real signature is 43+ base64url
# characters; all letters of one case has odds far below one in a billion.
_JWT_WORD_SIGNATURE = re.compile(r"eyJ[A-Za-z0-9_-]{2,2000}\.eyJ[A-Za-z0-9_-]{0,4000}"
                                 r"\.(?:[a-z]{3,40}|[A-Z]{3,40}|<[^<>\s]{1,40}>)")


def _jwt_ok(secret: str) -> bool:
    """A JWT whose header decodes to JSON with an ``alg`` (not any eyJ... string)."""
    if _JWT_WORD_SIGNATURE.fullmatch(secret):
        return False
    head = secret.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        header = json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header and header.get("alg") != "none"


# Words in a JSON-RPC method's name that say its first parameter is a key.
_RPC_KEY_WORDS = frozenset({"key", "apikey", "token", "secret", "credential", "credentials"})
# A comparison operator just before an unquoted value (an expression, not a secret).
_COMPARED = re.compile(r"[=!]==?[ \t]{0,3}$")


def accept(rule: Rule, text: str, match: re.Match[str], start: int, end: int) -> Rule | None:
    """The rule to report this hit under, or ``None`` when it is not a secret."""
    secret = text[start:end]
    if secret in rule.allow or _is_public(secret):
        return None
    if rule.generic and (_RUN.search(secret.lstrip("A").rstrip("="))
                         or len(set(secret)) < min(10, max(5, len(secret) // 4))):
        return None  # cheap rejections first: hostile near misses arrive by the thousand
    if rule.id == "generic-secret" and name_kind(
            name_span(text, match.start(), match.end())) is None and not spaced_key(
            text, match.start(), _KEY_QUALIFIERS):
        return None  # most hits of the name rule are names like "keys" or "key_id": cheap
    if rule.placeholder_check and is_placeholder(_checked_part(rule, secret)):
        return None
    if rule.min_entropy:
        body = secret.rsplit(rule.placeholder_tail, 1)[-1] if rule.placeholder_tail else \
            _body(rule, secret)
        if entropy(body) < rule.min_entropy:
            return None
    if rule.id == "jwt":
        return rule if _jwt_ok(secret) else None
    if rule.id == "private-key-base64":
        return rule if _encoded_private_key(secret) else None
    if rule.id == "generic-prefixed-token":
        return rule if prefixed_token_ok(text, match.start(), secret, _reserved()) else None
    if not rule.generic:
        return rule
    if near_miss(secret):
        return None  # gsk_abc123 under any name: a truncated or made-up Groq key
    if rule.id == "url-credentials":
        return rule if _url_credentials_ok(match, secret) else None
    if rule.id == "rpc-credential":
        # the method must take a key ("auth.login_with_api_key", "setToken"), not a user
        # ("auth.login"); the value must be a long random token, as under a service's key
        method = set(name_words(match.group("_m")))
        return rule if method & _RPC_KEY_WORDS and _value_ok(secret, "key", True) else None
    if rule.id in ("bearer-token", "url-query-secret"):
        return rule if _value_ok(secret, "secret", True) else None
    if rule.id in ("credential-pair", "netrc-credentials", "cli-password"):
        # The constructor names the pair; the password only has to look like one, and not
        # hold the user's name (an anonymous FTP login's "-anonymous@").
        user = pair_user(text, match.start(), start - 1)
        if len(user) >= 3 and user.lower() in secret.lower():
            return None
        if rule.id == "cli-password" and _psexec_word(text, match.start(), secret):
            return rule
        # (not one lowercase word: after "-p " it is as often mysql's database, -p alone
        # prompting, and in a constructor's pair a role or a made-up example)
        return rule if _value_ok(secret, "password", True) else None
    if rule.id == "basic-auth":
        # "user:password": the password is what must look like one ("SVC:${APP_ID}" is not)
        password = secret.split(":", 1)[-1].lstrip("'\"")
        return rule if _value_ok(password, "password", True) else None
    group, _ = secret_group(match)
    quoted = bool(group) and group.startswith("q")
    if rule.id == "generic-secret-compared":
        name = text[match.end(group or 0):match.end()].strip(" =!")
        kind = name_kind(name.rsplit(".", 1)[-1])
        quoted = True
    elif rule.id == "github-token-legacy":
        name = name_span(text, match.start(), match.end())
        kind = "secret" if name_kind(name) or "github" in name.lower() else None
    else:
        name = name_span(text, match.start(), match.end())
        kind = name_kind(name)
        if kind is None and (spaced := spaced_key(text, match.start(), _KEY_QUALIFIERS)):
            name, kind = spaced, name_kind(spaced)
        if group == "o" and not option_before(text, match.start()) and not (
                kind and len(secret) >= 20 and _value_ok(secret, "key", False)):
            # "NAME VALUE" with a space is "--password VALUE", or a name and a long random
            # token ("clarifai SECRET <token>"): words after a name are prose
            return None
        if group and group[:2] in ("qc", "o") and name_words(name) in (["pass"], ["passed"]):
            return None  # prose: "pass `details=True`", "Pass "--name" or ..."
        if group and group[:2] in ("qa", "u") and _typed_without_declaration(text, match, name,
                                                                             start):
            return None  # prose: "i pass response_mime_type="application/json""
        if group and (group == "v" or group.startswith("qd")) and not env_entry(
                text, match.start()):
            return None  # "value:" after a name counts only in an env list ("- name: X")
        if group and group.startswith("qe") and not setter(name):
            return None  # getToken("..."), hasKey("..."): a lookup, not a setter
        if group == "u" and _COMPARED.search(text, max(match.start(), start - 8), start):
            return None  # "password"===e.type?...: compared with an expression, not a literal
    # A lowercase word may be a password where it is given to the name itself, quoted or
    # alone on an .env line (not an item after it in a list of strings, "password",
    # "select"), and is not part of the name (_PassArg.context: "context").
    word_ok = (kind == "password" and secret.isalpha() and secret.islower()
               and secret not in name.lower() and name_words(name) not in (["pass"], ["passed"])
               and (((group or "")[:2] in ("qa", "qc") and not in_ternary(text, match.start()))
                    or (group == "u" and env_line(text, match.start(), end))))
    if kind is None or not _value_ok(secret, kind, quoted, word_ok):
        return None
    if rule.id != "generic-secret-compared" and len(name) >= 4 and _folded(name) in _folded(
            secret):
        # the value repeats its own name: "pswrd=" in pswrd="pswrd=", or an HTML field's
        # name="x_access_key" id="x-access-key"
        return None
    if _decodes_to_placeholder(secret):
        return None
    if rule.id == "generic-secret" and off_format(name, secret):
        return None  # OPENAI_API_KEY = <not an OpenAI key>: see provider_names
    if rule.id in ("generic-secret", "generic-secret-compared") and kind == "password":
        return RULES_BY_ID["generic-password"]
    return rule


# Go's typed declaration "var password string = ..." (the form "NAME TYPE = VALUE"): the
# word between the name and "=" is a type only after var/const; in prose ("i pass
# response_mime_type=...") it is the name actually assigned.
_TYPED_GAP = re.compile(r"[ \t]{1,3}[A-Za-z][A-Za-z0-9_<>*&]{0,20}[ \t]{0,3}=")
_DECLARES = re.compile(r"(?:\b(?:var|const)[ \t]{1,3})$")


def _typed_without_declaration(text: str, match: re.Match[str], name: str, start: int) -> bool:
    name_start = match.start() - len(name_span(text, match.start(), match.start()))
    name_end = name_start + len(name)
    gap = _TYPED_GAP.match(text, name_end, start)
    # ("blitapp SECRET key=...": the word assigned is a secret's name itself)
    word = gap.group(0).strip(" \t=") if gap else ""
    return (gap is not None and name_kind(word) is None
            and word.lower() not in _SECRET_WORDS | {"key", "keys"}
            and not _DECLARES.search(text, max(0, name_start - 12), name_start))


# PsExec's -p always takes the password (left out, PsExec prompts), so after "psexec ...
# -u USER -p" one lowercase word, or words joined by "_" or "-", is the password: a
# command line has no variables but $X and %X%, which are turned away as references.
_PSEXEC = re.compile(r"(?i:psexec)")
_CLI_WORDS = re.compile(r"[a-z]{3,40}(?:[_-][a-z]{2,20}){0,2}")


def _psexec_word(text: str, start: int, value: str) -> bool:
    """A word password after PsExec's -u/-p on the same line (``-p dev_admin``)."""
    line_start = text.rfind("\n", 0, start) + 1
    if not _PSEXEC.search(text, max(line_start, start - 300), start):
        return False
    low = value.lower()
    return (len(value) >= 5 and bool(_CLI_WORDS.fullmatch(value)) and low not in _COMMON_DEFAULTS
            and not any(m in low for m in _GENERIC_MARKERS)
            and low not in _WORD_NOT_PASSWORDS and low not in _PASSWORD_WORDS)


def _encoded_private_key(value: str) -> bool:
    """Base64 whose text starts with a PEM private-key header (not a FAKE/EXAMPLE one)."""
    head = value[:96]
    try:
        text = base64.b64decode(head[:len(head) // 4 * 4]).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    header = _PEM_PRIVATE_HEADER.match(text)
    return header is not None and not any(
        w in header.group(0) for w in ("FAKE", "EXAMPLE", "DUMMY", "EMPTY"))


_PEM_PRIVATE_HEADER = re.compile(r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----")


_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4}){3,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _decodes_to_placeholder(value: str) -> bool:
    """A base64 value whose text is a placeholder (a Docker ``auth`` of "user:your-password")."""
    if not _BASE64.fullmatch(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return decoded.isprintable() and is_placeholder(decoded)


@functools.cache
def _reserved() -> frozenset[str]:
    """Token prefixes the provider rules own (see ``tokens.reserved_prefixes``)."""
    return reserved_prefixes(k for r in RULES_BY_ID.values() if not r.generic
                             for k in r.keywords)


def _checked_part(rule: Rule, secret: str) -> str:
    """The part of ``secret`` the placeholder checks read (see ``Rule.placeholder_tail``)."""
    if not rule.placeholder_tail:
        return secret
    *ids, tail = secret.split(rule.placeholder_tail)
    if len(ids) > 2 and len(set(ids[1:])) == 1:
        return "x" * 6  # the same id repeated ("-1234-1234-1234-"): a documentation filler
    # A tail made of words ("RANDOMSTRINGHERE", "initial", "AccessTokenHere") is a
    # placeholder too: random tails mix letters with digits.
    if tail.isalpha() and (tail.isupper() or tail.islower() or _CAMEL_IDENT.fullmatch(tail)):
        return "x" * 6
    return tail


def _url_credentials_ok(match: re.Match[str], secret: str) -> bool:
    whole = match.group(0)
    user = whole.split("://", 1)[1].rsplit(":", 1)[0] if "://" in whole else ""
    host = whole.rsplit("@", 1)[1].lower()
    low = secret.lower()
    if entropy(secret) < 2.5 and not _strong_password(secret, 2.0):
        return False  # short and repetitive ("aaabbb"), unless letters and digits mixed
    if not user and not _strong_password(secret):
        return False  # no user (redis://:pw@host): only a password someone chose
    if host.startswith(_LOCAL_HOSTS) and _strong_password(secret):
        # A local database's URL with a real-looking password ("D1fficult", "p4Dsr8b") is
        # still a password someone typed into a file; "postgres:postgres" is not.
        host = "local"
    return not (
        low == user.lower() or low in _COMMON_DEFAULTS or "%20" in low
        or any(c in secret for c in "[]") or host.startswith(_EXAMPLE_HOSTS)
        or any(m in low for m in ("password", "passwd", "secret", "xxxx", "example", "****"))
    )


def _strong_password(value: str, min_entropy: float = 2.5) -> bool:
    """Letters and digits mixed, no placeholder word: a password someone chose."""
    low = value.lower()
    return (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
            and not value.isdigit() and not any(m in low for m in _GENERIC_MARKERS)
            and entropy(value) >= min_entropy)


def _body(rule: Rule, secret: str) -> str:
    prefix = next((p for p in KNOWN_PREFIXES if secret.startswith(p)), "")
    return secret[len(prefix):]
