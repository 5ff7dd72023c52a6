"""Name-anchored rules: a secret-like name given a value, in the assignment forms of many languages.

One pattern reads ``NAME <operator> VALUE`` where NAME contains a keyword
(``pass``, ``pw``, ``secret``, ``token``, ``key``, ``cred``, ``auth`` ...) and the
operator is any of: ``=``, ``:=``, ``::=``, ``:::=``, ``?=``, ``.=``, ``+=``, ``==``,
``!=``, ``===``, ``!==``, ``=>``, ``:`` (YAML, JSON, Ruby), a type annotation
(``var x string =``, ``val x: String =``), ``"NAME", "VALUE"`` (``setProperty``,
``getenv`` defaults), ``key="NAME" value="VALUE"`` (XML properties),
``<NAME>VALUE</NAME>``, or a space before a quoted value (``#define``,
``%define``, ``SET``). Values may be quoted or not (``.env``).

The regex only finds candidates; ``secretscan.filters`` decides from the whole
name (its words: ``credentialId`` is an id, ``MYSQLPASS`` a password) and the
value (placeholders, references, identifiers) whether it is a secret, and which
rule it is reported under (``generic-password`` or ``generic-secret``).
"""

from __future__ import annotations

from apilab.secretscan.rules.base import LOW, Rule

__all__ = ["GENERIC_KEYWORDS", "GENERIC_RULES", "GENERIC_VARIANTS"]

# Lowercase literals the name must contain; the pattern starts at one of them.
# "access" and "private" only in capitals, as the last word of a service's key name
# ("zerobounceACCESS=...", "pdfshift ACCESS ..."): in lower case they are everywhere in code.
GENERIC_KEYWORDS = ("pass", "pw", "pswd", "psswd", "pswrd", "secret", "token", "key", "cred",
                    "auth", "access", "private")

_NAME = (r"(?:(?i:pass|pw|pswd|psswd|pswrd|secret|token|key|cred|auth)|ACCESS|PRIVATE)"
         r"[A-Za-z0-9_.$-]{0,40}+")
_CLOSE = r"(?P<_q>\\?[\"'`])?(?:\[\d{0,4}\]|\])?"


def _quoted(tag: str) -> str:
    """A quoted value; its groups are named ``q<tag><n>`` (re needs unique group names)."""
    return (rf"""(?:\\?"(?P<q{tag}1>[^"\s\\]{{6,1000}}+)\\?"|'(?P<q{tag}2>[^'\s\\]{{6,1000}}+)'"""
            rf"""|`(?P<q{tag}3>[^`\s]{{6,1000}}+)`)""")


_UNQUOTED_BODY = r"""[^\s"'`,;<>(){}\[\]\\|&$%@#*!][^\s"'`,;\\|]{5,300}+(?![(\[])"""
_UNQUOTED = r"(?P<u>" + _UNQUOTED_BODY + ")"
# A command line's user after -u: an optional quote, no option, up to 64 characters.
_CLI_USER = r"""[ \t]{0,3}+["']?[^\s"'-][^\s"']{0,63}+["']?[ \t]{1,3}+"""
# A fallback after a look-up: NAME = os.environ.get("X") or "VALUE", process.env.X || "VALUE",
# getenv('X') ?: 'VALUE', settings.KEY ?? "VALUE". The look-up is one name, called or
# indexed once; the literal after "or", "||", "??" or "?:" is what runs when it is unset.
_FALLBACK = (
    r"[ \t]{0,40}+(?:[:?.+]?=(?![=>])|:(?![:/\\=]))[ \t]{0,40}+[A-Za-z_$][\w$.]{0,60}+"
    r"(?:\([^\n()]{0,80}+\)|\[[^\n\[\]]{0,80}+\])?"
    r"(?:[ \t]{1,3}or[ \t]{1,3}|[ \t]{0,3}(?:\|\||\?\?|\?:)[ \t]{0,3})" + _quoted("f")
)
_OPERATOR = (
    # a fallback literal after a look-up (before the forms below, whose unquoted value
    # would stop at the look-up: "os.environ.get(")
    r"(?:" + _FALLBACK
    # typed forms first (": String =" must not stop at ":" with the value "String")
    + r"|(?:[ \t]{0,3}:[ \t]{0,3}[A-Za-z][A-Za-z0-9_<>?]{0,20}[ \t]{0,3}=(?!=)"
    r"|[ \t]{1,3}[A-Za-z][A-Za-z0-9_<>*&]{0,20}[ \t]{0,3}=(?!=)"
    # (up to 40 blanks around the operator: columns aligned in YAML, Ruby, PHP, JS)
    r"|[ \t]{0,40}+(?:[:?.+!=]{0,3}=|=>|:(?![:/\\])))[ \t]{0,40}+@?(?:" + _quoted("a")
    + "|" + _UNQUOTED + r")"
    # "NAME", "VALUE"   and   key="NAME" value="VALUE"   (only after a quoted name)
    # (and a keyword default: config("SECRET_KEY", default="VALUE"), getenv(..., default=...))
    + r"|(?(_q)(?:[ \t]{0,3},|[ \t]{1,3}value\s{0,2}=)[ \t]{0,3}+"
    + r"(?:default[ \t]{0,2}=[ \t]{0,2})?" + _quoted("b") + r"|(?!))"
    # <NAME>VALUE</NAME>
    + r"|>\s{0,40}+(?P<x>[^\s<>\"']{8,1000}+)\s{0,40}+</"
    # #define NAME "VALUE", password "VALUE", and prose: the password is "VALUE"
    + r"|[ \t]{1,3}(?:(?:is|was|IS)[ \t]{1,3})?" + _quoted("c")
    # --password VALUE (accepted only after "-" / "--"; see filters)
    + r"|[ \t]{1,3}(?P<o>[^\s\"'`-][^\s\"'`]{5,200}+)"
    # (the forms below come last: a hit's secret group is looked up in pattern order, and
    # most hits are of the forms above)
    # an env list: "- name: NAME" then "value: VALUE" on the next line (Kubernetes, Compose,
    # CloudFormation), or {"name": "NAME", "value": "VALUE"} (ECS); see filters
    + r"""|(?:[ \t]{0,3}\r?\n[ \t]{0,40}+|[ \t]{0,3},[ \t]{0,3}+["']?)(?i:value)["']?[ \t]{0,3}:"""
    + r"[ \t]{0,3}+(?:" + _quoted("d") + r"|(?P<v>" + _UNQUOTED_BODY + r"))"
    # setPassword("VALUE"), withToken('VALUE'): a setter given a literal (see filters)
    + r"|\([ \t]{0,3}+" + _quoted("e") + r"[ \t]{0,3}\)"
    + r")"
)
_SECRET_FIX = (
    "Move this value out of the code into the environment or a secret manager, rotate it "
    "(it is in the history now), and add the file it came from to .gitignore if it is "
    "configuration."
)
_PASSWORD_FIX = (
    "Move the password out of the code into the environment or a secret manager, change "
    "it (it is in the history now), and never reuse it."
)

_QUERY_KEYWORDS = tuple(f"{name}{eq}" for name in (
    "access_token", "api_key", "apikey", "token", "secret", "password", "auth", "key",
    "client_secret", "sig") for eq in ("=", "%3d"))

GENERIC_RULES: tuple[Rule, ...] = (
    Rule(
        "generic-secret", "Secret-like name assigned a high-entropy value",
        _NAME + _CLOSE + _OPERATOR, GENERIC_KEYWORDS, LOW, _SECRET_FIX,
        min_entropy=0.0, generic=True, keyword_anchored=True,
    ),
    Rule(
        # "<value>" == password: a comparison with the literal first.
        "generic-secret-compared", "A literal compared with a secret-like name",
        r"""(?:"(?P<q1>[^"\s\\]{6,200}+)"|'(?P<q2>[^'\s\\]{6,200}+)')\s{0,3}[!=]==?\s{0,3}"""
        r"""[A-Za-z_$][A-Za-z0-9_.$]{0,40}+""",
        ("==", "!="), LOW, _SECRET_FIX, generic=True,
    ),
    Rule(
        # A password on a command line: "-u USER -p PASSWORD" (psexec, docker login, sqlcmd,
        # mysql's glued -pPASSWORD), "sshpass -p PASSWORD", PowerShell's
        # ConvertTo-SecureString "PASSWORD" -AsPlainText. (-p alone is too often a port, and
        # "-U x -p" mixes psql's user with its port or pip's upgrade flag with a path.)
        "cli-password", "Password given on a command line",
        r"(?:(?<![\w-])(?:-u" + _CLI_USER + r"-p(?!ass)|-U" + _CLI_USER + r"-P(?!ASS))"
        r"[ \t]{0,3}+|(?i:sshpass)[ \t]{1,3}-p[ \t]{0,3}+"
        r"|(?i:convertto-securestring)[ \t]{1,3}(?:-(?i:string)[ \t]{1,3})?)"
        r"""(?:"(?P<q1>[^"\s]{4,100}+)"|'(?P<q2>[^'\s]{4,100}+)'"""
        r"""|(?P<q3>[^\s"'`,;-][^\s"'`,;]{3,100}+))""",
        ("-u", "sshpass", "convertto-securestring"), LOW, _PASSWORD_FIX, min_entropy=2.0,
        generic=True, keyword_anchored=True, key_keywords=False,
    ),
    Rule(
        "sql-password", "Password in a SQL statement (IDENTIFIED BY / PASSWORD)",
        r"(?i:identified\s{1,3}(?:with\s{1,3}[A-Za-z0-9_]{1,40}\s{1,3})?by)\s{1,3}"
        r"""(?:'(?P<q1>[^'\s]{4,200})'|"(?P<q2>[^"\s]{4,200})")""",
        ("identified",), LOW, _PASSWORD_FIX, min_entropy=2.0, keyword_anchored=True,
    ),
    Rule(
        "bearer-token", "Bearer token in an Authorization header",
        r"(?i:bearer)\s{1,3}([A-Za-z0-9._~+/-]{24,500}=*)(?![A-Za-z0-9._~+/=-])",
        ("bearer",), LOW,
        "Do not hard-code Authorization headers: read the token from the environment at run "
        "time, and revoke this one.",
        min_entropy=3.5, generic=True, keyword_anchored=True,
    ),
    Rule(
        # Authorization: Basic/Token/Api-Token/Key <value>, and curl -u / --user user:pass.
        "basic-auth", "Credentials in an Authorization header or a curl -u option",
        r"(?i:authorization[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?:basic|token|api-token|apikey|key|bot)?"
        r"|-u\s|--user\s)\s{0,3}[\"']?"
        r"(?P<q1>[A-Za-z0-9+/_.~-]{12,400}+={0,2}|[^\s:'\"]{0,64}+:['\"]?[^\s'\"]{6,128}+)"
        # an API key given as the user name with an empty password: -u "KEY:"
        r"(?=['\"\s]|$)|(?i:-u\s|--user\s)\s{0,3}[\"']?(?P<q2>[^\s:'\"]{10,64}+):(?=['\"\s]|$)",
        ("authorization", "--user", "-u "), LOW,
        "Do not hard-code credentials in commands or headers: read them from the environment "
        "(or a .netrc outside the repository), and change this password.",
        min_entropy=2.5, generic=True, keyword_anchored=True,
    ),
    Rule(
        # A (user, password) pair given to a credentials constructor, in any language:
        # new NetworkCredential("u", "p"), HTTPBasicAuth("u", "p"), auth=("u", "p"),
        # new PasswordAuthentication("u", "p".toCharArray()), DirectoryEntry(path, "u", "p"),
        # smtp.login("u", "p"). Arguments may sit on lines of their own (up to 40 blanks).
        "credential-pair", "Password passed with a user name to a credentials constructor",
        r"(?i:networkcredential|http(?:basic|digest)auth|basicauth|passwordauthentication"
        r"|usernamepasswordcredentials|directoryentry|auth\s{0,3}=|login)\s{0,3}[\(\[]"
        r"""\s{0,40}+(?:"[^"\n]{0,200}+"\s{0,3},\s{0,40}+)?["'][^"'\s]{1,100}+["']\s{0,3},"""
        r"""\s{0,40}+(?:"(?P<q1>[^"\s]{4,100}+)"|'(?P<q2>[^'\s]{4,100}+)')""",
        ("networkcredential", "basicauth", "digestauth", "passwordauthentication",
         "usernamepasswordcredentials", "directoryentry", "auth=(", "auth = (", "auth=[",
         "login(", "login ("),
        LOW, _PASSWORD_FIX, min_entropy=2.0, generic=True, keyword_anchored=True,
    ),
    Rule(
        # A JSON-RPC call whose method takes a key, given one as its first parameter:
        # {"method": "auth.login_with_api_key", "params": ["<key>"]} (WebSocket and JSON-RPC
        # APIs log in so). The method's name is checked in filters: it must name a key,
        # token or secret, and the value must be a long random token.
        "rpc-credential", "Key passed to a JSON-RPC method that logs in with one",
        r"""(?i:"method")\s{0,3}:\s{0,3}"(?P<_m>[A-Za-z0-9_.:/-]{1,100}+)"\s{0,3},\s{0,40}+"""
        r'"params"\s{0,3}:\s{0,3}\[\s{0,40}+"(?P<q1>[^"\s\\]{20,500}+)"',
        ('"method"',), LOW, _SECRET_FIX, generic=True, keyword_anchored=True,
        key_keywords=False,
    ),
    Rule(
        # user:password@host (the user part may itself be an e-mail address, or empty:
        # redis://:password@host). The password may hold "@", "$" or "!" ("s2Tf@rL",
        # "xK9!mN2$"): it ends at the last "@" before the host; it may not start like a
        # reference ("$PASS", "${PASS}").
        "url-credentials", "Password embedded in a URL",
        r"://(?:[^\s/:@'\"]{0,64}(?:@[^\s/:@'\"]{1,64})?):"
        r"([^\s/:@'\"<>{}$][^\s/:'\"<>{}]{5,127})@[A-Za-z0-9.-]+",
        ("://",), LOW,
        "Take the password out of the URL: pass it separately from the environment or a "
        "secret manager (e.g. DATABASE_URL set outside the repo), and change it.",
        min_entropy=2.0, generic=True,
    ),
    Rule(
        # ?token=... in a URL, plain or URL-encoded (%26token%3D...). The keyword pass
        # finds "name=" and the look-behind checks the "?"/"&" before it.
        "url-query-secret", "Secret in a URL query string",
        r"(?:(?<=[?&;])|(?<=%26)|(?<=%3[fF]))(?i:access_token|api_key|apikey|token|secret"
        r"|password|auth|key|client_secret|sig)(?:=|%3[dD])"
        r"(?P<q1>[A-Za-z0-9._~+/-]{16,400}+)(?=[&#\s\"'%]|$)",
        _QUERY_KEYWORDS, LOW, _SECRET_FIX, keyword_anchored=True,
        min_entropy=3.2, generic=True,
    ),
)

# Reported in place of generic-secret when the name is a password's (see filters).
GENERIC_VARIANTS: tuple[Rule, ...] = (
    Rule(
        "generic-password", "Password assigned in code or configuration",
        r"(?!)", ("pass", "pwd"), 0.5, _PASSWORD_FIX, generic=True,
    ),
)
