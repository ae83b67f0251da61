"""Keeping passwords and source values out of everything the tool shows.

Three layers, because each alone has gaps:

- ``safe_url``: a database URL for display, with the password and any secret query parameter
  (``?password=``, ``sslpassword=``, ``token=`` …) replaced by ``***``. It parses the URL itself, so
  a malformed URL (an unencoded ``@`` in the password) is masked too, never shown in part.
- ``scrub_db_message``: a database driver's message with every literal replaced (quoted strings,
  ``Key (col)=(value)``, long digit runs; MySQL's ``near '…'`` fragment), keeping only the quoted
  names that are known identifiers. Drivers quote row values in their errors.
- ``scrub``: the last line of defence, applied by the CLI to every line it prints: URLs in the text
  are shown with ``safe_url``, and every secret the process has seen (passwords of the URLs it
  resolved, the masking key) is replaced by ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

MASK = "***"
MIN_SECRET_CHARS = 4       # shorter secrets are still masked inside URLs, but not searched in free text
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]*[^\s'\"<>.,:;)]")
SECRET_PARAM = re.compile(r"pass|pwd|secret|token|credential|auth|api.?key|private|sslkey|signature", re.I)
_secrets: set[str] = set()


@dataclass(frozen=True)
class UrlParts:
    scheme: str                  # "postgresql://"
    username: str | None         # None when the URL has no userinfo
    password: str | None         # None when the userinfo has no ':'
    rest: str                    # host[:port][/database][?query]

    def render(self, *, password: str | None) -> str:
        if self.username is None:
            return self.scheme + self.rest
        secret = "" if password is None else f":{password}"
        return f"{self.scheme}{self.username}{secret}@{self.rest}"


def split_url(url: str) -> UrlParts | None:
    """Scheme, user, password and the rest. The userinfo ends at the *last* '@' before the query, so a
    password holding an unencoded '@' stays whole (SQLAlchemy would cut it and read the rest as a host)."""
    match = _SCHEME.match(url)
    if not match:
        return None
    rest = url[match.end():]
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at < 0 and query >= 0:
        at = rest.rfind("@")       # a '?' inside the password: the userinfo reaches past it
    if at < 0:
        return UrlParts(match.group(), None, None, rest)
    userinfo = rest[:at]
    username, colon, password = userinfo.partition(":")
    return UrlParts(match.group(), username, password if colon else None, rest[at + 1:])


def _scrub_query(rest: str) -> str:
    head, mark, query = rest.partition("?")
    if not mark:
        return rest
    params = []
    for item in re.split(r"([&;])", query):
        name, equals, value = item.partition("=")
        params.append(f"{name}={MASK}" if equals and value and SECRET_PARAM.search(name) else item)
    return head + mark + "".join(params)


def safe_url(url: str) -> str:
    """The URL for messages and reports: password and secret query parameters masked."""
    parts = split_url(url.strip())
    if parts is None:
        return "<unparseable database URL>"
    masked = UrlParts(parts.scheme, parts.username, parts.password, _scrub_query(parts.rest))
    return masked.render(password=None if parts.password is None else MASK)


def url_secrets(url: str) -> list[str]:
    """The secret parts of a URL: its password and the values of secret query parameters (raw and decoded)."""
    parts = split_url(url.strip())
    if parts is None:
        return []
    found = [parts.password] if parts.password else []
    _, _, query = parts.rest.partition("?")
    for item in re.split(r"[&;]", query):
        name, equals, value = item.partition("=")
        if equals and value and SECRET_PARAM.search(name):
            found.append(value)
    return found + [unquote(s) for s in found if unquote(s) != s]


def has_secret(url: str) -> bool:
    return bool(url_secrets(url))


def repair_url(url: str) -> str:
    """Percent-encode the '@' and ':' SQLAlchemy cannot take inside a password, so the driver gets the right
    password and host (and never a 'host' made of the password's tail, which it would print)."""
    parts = split_url(url.strip())
    if parts is None or parts.username is None or "@" not in (parts.username + (parts.password or "")):
        return url
    password = None if parts.password is None else parts.password.replace("@", "%40")
    return UrlParts(parts.scheme, parts.username.replace("@", "%40"), password, parts.rest).render(password=password)


def remember(*secrets: str | None) -> None:
    """Secrets the process has seen: ``scrub`` removes them from anything shown."""
    _secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)


def remember_url(url: str | None) -> None:
    """Remember a URL's secrets, and the pieces of a password split at '@' or ':' (a driver that misread a
    malformed URL prints such a piece as a host or a user name)."""
    if url:
        secrets = url_secrets(url)
        remember(*secrets, *(piece for s in secrets for piece in re.split(r"[@:]", s)))


def scrub(text: str) -> str:
    """Every URL masked, every remembered secret replaced: applied to all the CLI prints."""
    if "://" in text:
        text = _URL_IN_TEXT.sub(lambda m: safe_url(m.group()), text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


_MYSQL_NEAR = re.compile(r"near '.*' at line (\d+)", re.S)
_KEY_VALUE = re.compile(r"=\((?:[^()]|\([^()]*\))*\)")
_QUOTED = {q: re.compile(rf"{q}((?:[^{q}]|{q}{q})*){q}|{q}[^{q}]*$") for q in ("'", '"', "`")}
_SQL_STRING = _QUOTED["'"]
# In a driver's message an apostrophe between two letters is part of a word ("Can't", "O'Brien"), not a quote.
_LETTER = r"[^\W\d_]"
_QUOTED["'"] = re.compile(rf"(?<!{_LETTER})'((?:[^']|''|(?<={_LETTER})'(?={_LETTER}))*)'|(?<!{_LETTER})'[^']*$")
_DIGITS = re.compile(r"(?<![\w.])[+-]?\d[\d ,.\-/:]{2,}\d(?![\w.])")
# Phrases drivers quote that are never data (MySQL: "Unknown column 'x' in 'where clause'").
_DRIVER_WORDS = frozenset({"where clause", "where", "having", "having clause", "field list", "on clause",
                           "order clause", "group statement", "primary"})


def db_error_text(exc: BaseException) -> str:
    """The driver's own message of a (SQLAlchemy-wrapped) database error, without SQLAlchemy's [SQL: …] block."""
    orig = getattr(exc, "orig", None) or exc
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    if len(args) > 1 and isinstance(args[0], int):     # PyMySQL: (errno, message)
        return str(args[1])
    return str(orig)


def scrub_db_message(text: str, identifiers: Iterable[str] = ()) -> str:
    """The first line of a driver message with its literals masked. Quoted text is kept only when it is one
    of ``identifiers`` (table, column, schema, host names the caller knows) or a fixed driver phrase."""
    lines = str(text).strip().splitlines()
    line = lines[0] if lines else ""
    known = {name.lower() for name in identifiers} | _DRIVER_WORDS
    line = _MYSQL_NEAR.sub(lambda m: f"near '{MASK}' at line {m.group(1)}", line)
    line = _KEY_VALUE.sub(f"=({MASK})", line)
    for quote, pattern in _QUOTED.items():
        def keep_known(match: re.Match[str], quote: str = quote) -> str:
            inner = match.group(1)
            shown = inner is not None and (inner.lower() in known or (inner and not any(c.isalnum() for c in inner)))
            return match.group() if shown else f"{quote}{MASK}{quote}"   # names we know, and bare punctuation

        line = pattern.sub(keep_known, line)
    line = _DIGITS.sub(lambda m: m.group() if m.group().lower() in known else MASK, line)
    return scrub(line)


def words_of_sql(sql: str) -> set[str]:
    """Names a user's SQL fragment mentions (bare and quoted identifiers; string literals left out)."""
    without_literals = _SQL_STRING.sub(" ", sql)
    names = set(re.findall(r"[A-Za-z_][\w$]*", without_literals))
    names.update(a or b for a, b in re.findall(r'"([^"]+)"|`([^`]+)`', without_literals))
    return names
