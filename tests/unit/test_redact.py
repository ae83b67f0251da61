from __future__ import annotations

import pytest

from anonymiser.redact import (
    db_error_text,
    has_secret,
    remember_url,
    repair_url,
    safe_url,
    scrub,
    scrub_db_message,
    words_of_sql,
)

SAFE_URL = [
    ("postgresql://app:Pw1234@db:5432/prod", "postgresql://app:***@db:5432/prod"),
    ("postgresql://app:p@ss@db/prod", "postgresql://app:***@db/prod"),
    ("postgresql://app:a?b/c@db/prod", "postgresql://app:***@db/prod"),
    ("postgresql://app@db/prod?password=Qq1234&sslmode=require", "postgresql://app@db/prod?password=***&sslmode=require"),
    ("postgresql://db/prod?sslpassword=x1&application_name=a", "postgresql://db/prod?sslpassword=***&application_name=a"),
    ("mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test"),
    ("postgresql://admin@server:pw1@server.example.com/db", "postgresql://admin@server:***@server.example.com/db"),
    ("sqlite:///relative/prod.sqlite", "sqlite:///relative/prod.sqlite"),
    ("not a url:secret@host", "<unparseable database URL>"),
]


@pytest.mark.parametrize(("url", "shown"), SAFE_URL, ids=[
    "userinfo", "unencoded-at", "unencoded-question-mark-and-slash", "password-param", "sslpassword-param",
    "no-password", "azure-style-user", "sqlite", "unparseable"])
def test_safe_url_masks_every_password(url: str, shown: str) -> None:
    assert safe_url(url) == shown


@pytest.mark.parametrize(("url", "repaired"), [
    ("postgresql://app:p@ss@db/prod", "postgresql://app:p%40ss@db/prod"),
    ("postgresql://admin@server:pw@host/db", "postgresql://admin%40server:pw@host/db"),
    ("postgresql://app:plain@db/prod", "postgresql://app:plain@db/prod"),
], ids=["at-in-password", "at-in-user", "nothing-to-repair"])
def test_repair_url_encodes_the_at_sqlalchemy_would_misread(url: str, repaired: str) -> None:
    from sqlalchemy.engine import make_url

    assert repair_url(url) == repaired
    assert make_url(repaired).host in ("db", "host")


@pytest.mark.parametrize(("url", "secret"), [
    ("postgresql://u:pw@h/db", True), ("postgresql://u@h/db?password=x", True), ("postgresql://u@h/db", False),
    ("postgresql://u:@h/db", False), ("postgresql://u@h/db?sslmode=require", False)])
def test_has_secret(url: str, secret: bool) -> None:
    assert has_secret(url) is secret


def test_scrub_removes_remembered_passwords_and_their_pieces() -> None:
    remember_url("postgresql://u:Zq9first@Zq9second@host/db")
    text = scrub('could not translate host name "Zq9second@host"; tried Zq9first@Zq9second')
    assert "Zq9first" not in text and "Zq9second" not in text


DB_MESSAGES = [
    ('invalid input syntax for type integer: "alice@example.com"\nLINE 1: SELECT', (), "alice"),
    ("duplicate key value violates unique constraint \"c_key\"\nDETAIL: Key (email)=(bob@x.nz) exists", ("c_key",),
     "bob@"),
    ("Duplicate entry 'bob@x.nz' for key 'email'", ("email",), "bob@"),
    ("You have an error in your SQL syntax; ... near ''bob@x.nz' AND 1' at line 1", (), "bob@"),
    ("value 0211234567 is out of range", (), "0211234567"),
    ("XPATH syntax error: '~carol@example.org'", (), "carol"),
    ("Duplicate entry 'O'Brien' for key 'family_name'", ("family_name",), "Brien"),
]


@pytest.mark.parametrize(("message", "names", "value"), DB_MESSAGES,
                         ids=["pg-invalid-input", "pg-key-detail", "mysql-duplicate", "mysql-near", "digits", "xpath",
                              "apostrophe-inside"])
def test_db_messages_lose_their_literals(message: str, names: tuple[str, ...], value: str) -> None:
    assert value not in scrub_db_message(message, names)


def test_db_messages_keep_known_names() -> None:
    assert scrub_db_message('column "nosuch" does not exist', {"nosuch"}) == 'column "nosuch" does not exist'
    assert scrub_db_message("Unknown column 'nosuch' in 'where clause'", {"nosuch"}) == \
        "Unknown column 'nosuch' in 'where clause'"
    shown = scrub_db_message('connection to server at "127.0.0.1", port 5433 failed', {"127.0.0.1", "5433"})
    assert shown == 'connection to server at "127.0.0.1", port 5433 failed'


def test_db_messages_keep_apostrophes_of_words() -> None:
    """trial2: PyMySQL's "Can't connect" was shown as "Can'***'127.0.0.1'***'" (apostrophe taken for a quote)."""
    message = "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)"
    assert scrub_db_message(message, {"127.0.0.1", "3307"}) == message


def test_db_error_text_reads_pymysql_args() -> None:
    class Fake(Exception):
        pass

    assert db_error_text(Fake(1054, "Unknown column 'x'")) == "Unknown column 'x'"


def test_words_of_sql_leaves_literals_out() -> None:
    assert words_of_sql("email = 'bob@x.nz' AND \"Odd Name\" > 1") == {"email", "AND", "Odd", "Name", "Odd Name"}
