"""Column-name and SQL-type heuristics: what a column probably holds, before looking at any value.

Names are split into lower-case words whatever their case style (``FirstName``, ``first_name``,
``firstName``, ``FIRST_NAME``, ``BillingPostalCode``), joined with ``_``, and matched against an
ordered table of rules; the first rule that matches wins. Each rule names an entity, a class and
the masking strategy (with options) a reviewer would most likely choose.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from anonymiser.schema import ColumnInfo, TableInfo

Classification = Literal["direct_identifier", "quasi_identifier", "sensitive", "not_personal"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_SPLIT = re.compile(r"[\W_]+")   # any letter or digit of any script is part of a word


def _without_marks(name: str) -> str:
    """Letters with diacritics as their base letters ("whānau" → "whanau"): a macron must not split a word."""
    if name.isascii():
        return name
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def words(name: str) -> list[str]:
    """``BillingPostalCode`` → ["billing", "postal", "code"]; ``ird_number`` → ["ird", "number"];
    ``ingoa_whānau`` → ["ingoa", "whanau"]."""
    return [w.lower() for part in _SPLIT.split(_without_marks(name)) for w in _CAMEL.split(part) if w]


def normalised(name: str) -> str:
    return "_".join(words(name))


@dataclass(frozen=True)
class NameRule:
    pattern: re.Pattern[str]
    entity: str
    classification: Classification
    strategy: str
    options: dict[str, Any] = field(default_factory=dict)
    kinds: frozenset[str] | None = None        # only for these column kinds (None: any)
    reason: str | None = None                  # for personal columns that are kept on purpose


def _rule(regex: str, entity: str, classification: Classification, strategy: str, *,
          kinds: tuple[str, ...] | None = None, reason: str | None = None, last: bool = False,
          **options: Any) -> NameRule:
    # ``last``: the word must end the name (``ship_region`` yes, ``region_description`` no).
    end = r"(?:_name|_code)?$" if last else r"(?:_|$)"
    return NameRule(re.compile(rf"(?:^|_)(?:{regex}){end}"), entity, classification, strategy, options,
                    frozenset(kinds) if kinds else None, reason)


_TEXTUAL = ("string", "text", "other")
_DATES = ("date", "datetime", "string", "text")
KEPT_QUASI = "quasi-identifier kept for realism; listed under quasi_identifiers for the k-anonymity check"

# Order matters: specific before generic ("email_address" is an email, not an address).
CREDENTIAL_REASON = "credential: never needed in a test copy"
NAME_RULES: tuple[NameRule, ...] = (
    # Credentials first ("email_token", "user_password"): nulled (hashed where the column is NOT NULL).
    _rule(r"(?:\w+_)?(?:password|passwd|pass_?word|pwd|pass_?phrase|passcode|pass_hash|password_hash|hash|"
          r"hashed_\w+|secret|secret_key|client_secret|token|api_?key|access_?key|auth_?key|private_?key|"
          r"access_token|refresh_token|session_?(?:id|key|token)|salt|otp|totp(?:_secret)?|mfa_secret|"
          r"two_factor_secret|pin|pin_code|security_answer|secret_answer|recovery_code)s?",
          "CREDENTIAL", "direct_identifier", "null", kinds=_TEXTUAL + ("binary",), last=True,
          reason=None),
    _rule(r"e_?mail(?:_?address|_?addr)?", "EMAIL_ADDRESS", "direct_identifier", "email", kinds=_TEXTUAL),
    _rule(r"ip(?:_?addr(?:ess)?)?|ipv[46]|remote_addr|client_ip", "IP_ADDRESS", "direct_identifier", "ip_address",
          kinds=_TEXTUAL),
    _rule(r"mac(?:_addr(?:ess)?)?", "MAC_ADDRESS", "direct_identifier", "hash", kinds=_TEXTUAL),
    _rule(r"ird(?:_?(?:no|num|number))?|tax_(?:file_)?(?:no|num|number|id)|tfn", "NZ_IRD", "direct_identifier",
          "nz_ird"),
    _rule(r"nhi(?:_?(?:no|num|number))?|national_health_index", "NZ_NHI", "direct_identifier", "nz_nhi"),
    _rule(r"nzbn", "NZBN", "direct_identifier", "nzbn"),
    _rule(r"bank_?(?:account|acct|acc)(?:_?(?:no|num|number))?|account_(?:no|num|number)|bank_no",
          "NZ_BANK_ACCOUNT", "direct_identifier", "nz_bank_account"),
    _rule(r"(?:driver_?s?_)?licen[cs]e(?:_?(?:no|num|number))?|dl_(?:no|num|number)|driving_licen[cs]e",
          "NZ_DRIVER_LICENCE", "direct_identifier", "nz_driver_licence"),
    _rule(r"passport(?:_?(?:no|num|number))?", "NZ_PASSPORT", "direct_identifier", "nz_passport"),
    _rule(r"credit_?card|card_?(?:no|num|number)|cc_?(?:no|num|number)|pan", "CREDIT_CARD", "direct_identifier",
          "credit_card"),
    _rule(r"iban", "IBAN_CODE", "direct_identifier", "hash"),
    _rule(r"ssn|social_security(?:_number)?", "US_SSN", "direct_identifier", "hash"),
    _rule(r"(?:mobile|cell|home|work|office|contact|day|evening)?_?(?:phone|telephone|tel|mobile|cell|fax|msisdn|"
          r"landline)(?:_?(?:no|num|number))?", "PHONE_NUMBER", "direct_identifier", "phone"),
    # Te reo Māori as well: "ingoa" is a name, "ingoa tuatahi" a first name, "ingoa whānau" a family name.
    _rule(r"(?:first|given|fore|christian|middle)_?names?|fname|forename|ingoa_tuatahi", "PERSON", "direct_identifier",
          "first_name", kinds=_TEXTUAL),
    _rule(r"(?:last|family|sur|whanau)_?names?|surname|lname|ingoa_whanau", "PERSON", "direct_identifier",
          "last_name", kinds=_TEXTUAL),
    _rule(r"(?:full|contact|person|customer|client|employee|patient|display|real|account_holder|holder|"
          r"emergency_contact|next_of_kin|recipient|member|student|staff|user)_name|full_?name|nick_?name",
          "PERSON", "direct_identifier", "person_name", kinds=_TEXTUAL),
    _rule(r"user(?:_?name)?|login(?:_?name|_?id)?|handle|screen_?name|nick(?:_?name)?|account_name|gamertag|"
          r"(?:created|updated|modified|deleted|approved|changed)_by", "USERNAME", "direct_identifier", "username",
          kinds=_TEXTUAL),
    # A year of birth (an integer, MySQL YEAR) singles people out with a postcode or a city: kept for
    # realism, listed under quasi_identifiers so the report's k-anonymity covers it.
    _rule(r"birth_?year|year_of_birth|yob|birth_?yr|born_in|year_born", "BIRTH_YEAR", "quasi_identifier", "keep",
          kinds=("integer", "string", "text"), reason=KEPT_QUASI),
    _rule(r"(?:date_of_)?birth(?:_?date|_?day)?|dob|birthday|born(?:_on)?", "DATE_OF_BIRTH", "quasi_identifier",
          "date_shift", kinds=_DATES, max_days=180),
    _rule(r"photo(?:graph)?|avatar|portrait|selfie|face(?:_image)?|head_?shot|mug_?shot|signature|fingerprint|"
          r"biometrics?|id_card|passport_scan|licen[cs]e_scan|document_image|profile_(?:image|picture|pic)",
          "PHOTO", "direct_identifier", "null",
          kinds=("binary",)),
    _rule(r"photo_path|avatar_url|profile_url|home_?page|web_?site|url|uri|link", "URL", "direct_identifier", "url",
          kinds=_TEXTUAL),
    _rule(r"(?:street_)?address(?:_?line)?_?\d?|addr\d?|street(?:_address)?|address\d|line_?\d|po_box|"
          r"residential_address|postal_address", "STREET_ADDRESS", "direct_identifier", "street_address",
          kinds=_TEXTUAL),
    _rule(r"post_?code|postal_?code|zip(?:_?code)?|postcode", "POSTCODE", "quasi_identifier", "postcode",
          kinds=_TEXTUAL + ("integer",)),
    _rule(r"suburb|locality|neighbou?rhood", "SUBURB", "quasi_identifier", "suburb", last=True, kinds=_TEXTUAL),
    _rule(r"city|town", "CITY", "quasi_identifier", "keep", kinds=_TEXTUAL, last=True, reason=KEPT_QUASI),
    _rule(r"state|region|province|county", "REGION", "quasi_identifier", "keep", kinds=_TEXTUAL, last=True,
          reason=KEPT_QUASI),
    _rule(r"country", "COUNTRY", "quasi_identifier", "keep", kinds=_TEXTUAL, last=True, reason=KEPT_QUASI),
    _rule(r"gender|sex", "GENDER", "quasi_identifier", "keep", kinds=_TEXTUAL, last=True, reason=KEPT_QUASI),
    _rule(r"title_of_courtesy|salutation|honorific", "TITLE", "quasi_identifier", "keep", kinds=_TEXTUAL,
          reason=KEPT_QUASI),
    _rule(r"age", "AGE", "quasi_identifier", "generalise", kinds=("integer",), to="band", width=10),
    _rule(r"salary|income|wage|pay_rate", "SALARY", "sensitive", "noise"),
    _rule(r"ethnicity|ethnic_group|iwi|religion|diagnosis|medical_condition|disability|sexual_orientation",
          "SENSITIVE_ATTRIBUTE", "sensitive", "keep", kinds=_TEXTUAL,
          reason="sensitive attribute kept for analysis; listed under sensitive_attributes for the report"),
    _rule(r"company(?:_name)?|organi[sz]ation(?:_name)?|employer|business_name|ship_name", "ORGANIZATION",
          "direct_identifier", "company", kinds=_TEXTUAL),
)

# Names that say "prose written by people": masked span by span (free_text) when values are text.
FREE_TEXT_NAMES = re.compile(
    r"(?:^|_)(?:notes?|comments?|remarks?|memo|bio|biography|message|body|feedback|narrative|"
    r"description_of_\w+|history|details|summary|reason|text|content)(?:_|$)"
)
# Tables whose bare ``name`` column is a person's name.
PERSON_TABLES = re.compile(
    r"(?:^|_)(?:customers?|clients?|employees?|users?|persons?|people|contacts?|patients?|members?|staff|"
    r"students?|accounts?|owners?|drivers?|guests?|authors?|candidates?|applicants?|volunteers?)(?:_|$)"
)


# Reference tables of places (``us_states``, ``region``): their names are lookup data, not about anyone.
_PLACE_TABLE = re.compile(r"(?:^|_)(?:states?|regions?|countries|country|cities|city|territories|territory|"
                          r"provinces?|locations?|suburbs?|postcodes?)$")
_PLACES = frozenset({"CITY", "REGION", "COUNTRY", "SUBURB", "POSTCODE"})


# Generic image names are personal in a table about people ("staff.picture"), not elsewhere
# ("category.picture"); there the values' magic bytes decide.
_GENERIC_IMAGE = re.compile(r"(?:^|_)(?:picture|pic|image|img|thumbnail|thumb|scan(?:ned)?|attachment)(?:_|$)")
_PERSON_IMAGE = NameRule(_GENERIC_IMAGE, "PHOTO", "direct_identifier", "null", kinds=frozenset({"binary"}))


def match_name(table: TableInfo, column: ColumnInfo) -> NameRule | None:
    """The first name rule for this column, or None."""
    name = normalised(column.name)
    place_table = bool(_PLACE_TABLE.search(normalised(table.name)))
    for rule in NAME_RULES:
        if rule.kinds is not None and column.kind not in rule.kinds:
            continue
        if place_table and rule.entity in _PLACES:
            continue
        if rule.pattern.search(name):
            return rule
    if name in ("name", "ingoa") and column.kind in _TEXTUAL and PERSON_TABLES.search(normalised(table.name)):
        return NameRule(re.compile("name"), "PERSON", "direct_identifier", "person_name")
    if column.kind == "binary" and _GENERIC_IMAGE.search(name) and PERSON_TABLES.search(normalised(table.name)):
        return _PERSON_IMAGE
    return None


_ABOUT_PEOPLE = frozenset({"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "DATE_OF_BIRTH", "NZ_IRD",
                           "NZ_NHI", "USERNAME"})


def about_people(table: TableInfo) -> bool:
    """A table about people: its name says so, or a column is named as a name, contact detail or birth date."""
    if PERSON_TABLES.search(normalised(table.name)):
        return True
    return any((rule := match_name(table, c)) is not None and rule.entity in _ABOUT_PEOPLE for c in table.columns)


def looks_like_free_text_name(column: ColumnInfo) -> bool:
    return column.kind in ("string", "text") and bool(FREE_TEXT_NAMES.search(normalised(column.name)))
