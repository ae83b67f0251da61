"""Regenerate ``gazetteer.json``, the word lists free-text detection uses (run by hand, never at run time).

    .venv/bin/python -m anonymiser.detect.data.generate_gazetteer

Sources, all offline and pinned by ``constraints.txt``:

- given and family names of **every** Faker locale (Latin script, plus the romanised Japanese and
  Chinese lists), and our NZ lexicon ``nz_names.json`` (Māori and Pasifika names) with the pseudonym
  dictionaries' names, so every fake this tool writes is also a name it finds;
- *ambiguous* words: names that are also ordinary English words ("Mark", "Grace", "Chase", "Brown"),
  from Faker's English word list, the English month/day names and a hand list below. Such a word is
  a name only with a stronger cue (a title, "my name is", a known name beside it);
- *never names*: English stop words (spaCy's list) and one-letter "names" some Faker lists carry;
- place names that are also names ("Wellington", "Nelson"): NZ towns and regions, Faker's country
  names. A place word alone is not taken as a name without a cue;
- street types of nine locales for the address finder: English suffixes ("Street", "Crescent"),
  suffixes written into the word ("Hauptstraße", "Kerkstraat"), and prefixes ("rue", "Calle", "Via").

Words are stored folded (lower case, diacritics removed: ``fold``), one sorted list per kind.
The content hash is the gazetteer's version (``anonymiser.detect.gazetteer.VERSION``), recorded with
the detection engine in every manifest; regenerating with another Faker version changes it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import unicodedata
from pathlib import Path

FORMAT_VERSION = 1
OUT = Path(__file__).with_name("gazetteer.json")
HERE = Path(__file__).parent

# Names that are also everyday English words: a cue is needed before they count as a name.
AMBIGUOUS = ["will", "may", "june", "april", "august", "march", "mark", "bill", "rose", "grace", "hope", "joy",
             "faith", "chase", "hunter", "miles", "dean", "frank", "pat", "sue", "ray", "rich", "jack", "max",
             "sandy", "penny", "ruby", "amber", "jade", "crystal", "holly", "ivy", "violet", "lily", "daisy", "iris",
             "olive", "autumn", "summer", "dawn", "sky", "storm", "river", "king", "young", "white", "brown",
             "green", "black", "gray", "grey", "long", "short", "little", "hall", "wood", "woods", "hill", "hills",
             "church", "bishop", "baker", "cook", "taylor", "carpenter", "mason", "turner", "fisher", "page",
             "price", "cash", "sterling", "banks", "wall", "park", "lane", "street", "rock", "stone", "sharp",
             "bell", "bird", "fox", "wolf", "lamb", "swan", "crane", "nash", "gay", "gill", "penny", "ward", "read",
             "reading", "lord", "duke", "earl", "prince", "queen", "knight", "major", "general", "marshal", "hardy",
             "strong", "little", "small", "love", "luck", "lucky", "merry", "noble", "rich", "sage", "sunny", "star",
             "stern", "golden", "honey", "candy", "cherry", "ginger", "pepper", "basil", "heather", "hazel", "fern",
             "laurel", "myrtle", "poppy", "rosemary", "saffron", "willow", "forest", "glen", "dale", "cliff",
             "rocky", "heath", "moss", "reed", "brook", "brooks", "bay", "cape", "coast", "field", "fields", "ford",
             "forde", "marsh", "moore", "moor", "pond", "pool", "shore", "vale", "wells", "west", "east", "north",
             "south", "winter", "spring", "may", "ash", "birch", "elm", "oak", "pine", "hawk", "jay", "robin",
             "wren", "art", "chip", "drew", "guy", "kitty", "will", "walker", "porter", "butler", "cooper",
             "fletcher", "miller", "potter", "shepherd", "thatcher", "tucker", "weaver", "tanner", "cross", "crown",
             "day", "dodge", "drake", "early", "english", "fair", "few", "frost", "good", "grant", "house",
             "husband", "just", "key", "kind", "land", "large", "late", "lean", "low", "man", "march", "mill",
             "mills", "mint", "money", "moody", "more", "most", "notice", "pay", "person", "pierce", "plain",
             "plant", "pope", "post", "power", "pride", "quick", "rain", "rice", "ridge", "rivers", "root", "rush",
             "salmon", "sands", "savage", "shade", "silver", "snow", "sparks", "speed", "spell", "stamp", "stock",
             "story", "strange", "swift", "temple", "tower", "towns", "true", "tune", "vine", "waters", "whale",
             "wise", "worth", "christian", "christmas", "easter", "sunday", "monday", "tuesday", "wednesday",
             "thursday", "friday", "saturday", "january", "february", "september", "october", "november", "december",
             "eve", "noel", "angel", "angela", "charity", "destiny", "essence", "genesis", "harmony", "heaven",
             "journey", "justice", "liberty", "lyric", "melody", "mercy", "miracle", "patience", "precious",
             "serenity", "trinity", "unique", "amazon", "apple", "blackberry", "orange", "lemon", "lime", "peach",
             "plum", "mango", "berry", "cherry", "jordan", "china", "india", "kenya", "georgia", "virginia",
             "carolina", "paris", "sydney", "london", "berlin", "florence", "vienna", "lisbon"]
# Words that open sentences ("Later Te Aorere said …"): never part of a name.
OPENERS = ["later", "yesterday", "today", "tomorrow", "tonight", "meanwhile", "finally", "sadly", "apparently",
           "unfortunately", "thankfully", "hopefully", "maybe", "note", "update", "fyi", "ps", "nb", "re", "update",
           "urgent", "important", "reminder", "followup", "follow-up", "callback"]
# Salutation objects and role words that follow a cue but are not names ("Hi Team", "Dear Customer").
NOT_AFTER_CUE = ["team", "all", "everyone", "customer", "customers", "client", "sir", "madam", "there", "folks",
                 "guys", "colleagues", "support", "sales", "accounts", "admin", "manager", "staff", "driver",
                 "courier", "member", "members", "user", "users", "friend", "friends", "partner", "partners",
                 "service", "services", "care", "desk", "centre", "center", "department", "dept", "reception",
                 "office", "head", "help", "helpdesk", "hr", "it", "finance", "billing", "returns", "warehouse",
                 "store", "shop", "branch", "number", "account", "name", "details", "portal", "app", "website",
                 "email", "phone", "mobile", "everybody", "anyone", "someone"]
NZ_REGIONS = ["Northland", "Auckland", "Waikato", "Bay of Plenty", "Gisborne", "Hawke's Bay", "Taranaki",
              "Manawatū-Whanganui", "Wellington", "Tasman", "Nelson", "Marlborough", "West Coast", "Canterbury",
              "Otago", "Southland", "Chatham Islands"]
STREET_SUFFIX_EXTRA = ["Street", "St", "Road", "Rd", "Avenue", "Ave", "Drive", "Dr", "Lane", "Ln", "Place", "Pl",
                       "Terrace", "Tce", "Crescent", "Cres", "Way", "Highway", "Hwy", "Boulevard", "Blvd", "Court",
                       "Ct", "Parade", "Pde", "Close", "Grove", "Quay", "Square", "Sq", "Rise", "Esplanade", "Mews",
                       "Glade", "Heights", "Loop", "Row", "Track", "Walk", "Wynd", "Strand", "Promenade"]
# Compound suffixes (written into the street word) and prefixes, by language; Faker's lists are added.
STREET_COMPOUND_EXTRA = ["straße", "strasse", "str.", "gasse", "weg", "allee", "platz", "ring", "damm", "ufer",
                         "straat", "laan", "gracht", "plein", "kade", "dijk", "singel", "hof", "steeg",
                         "gatan", "vägen", "gade", "vej", "stræde"]
STREET_PREFIX_EXTRA = ["rue", "avenue", "boulevard", "chemin", "impasse", "allée", "place", "quai", "route",
                       "calle", "avenida", "plaza", "paseo", "camino", "carrera", "via", "viale", "piazza", "corso",
                       "strada", "vicolo", "largo", "rua", "travessa", "alameda", "praça", "rodovia", "estrada"]


def fold(word: str) -> str:
    """Lower case without diacritics or the ʻokina: "Hēmi" → "hemi", "ʻOfa" → "ofa"."""
    decomposed = unicodedata.normalize("NFKD", word.replace("\u02bb", "").replace("\u2018", ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _latin(name: str) -> bool:
    return all(c.isascii() or not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in name)


def _words(name: str) -> list[str]:
    """The words of a name, and a hyphenated name's parts: "Adebayo-Okafor" → the whole and both parts."""
    out: list[str] = []
    for word in name.split():
        out.append(word)
        if "-" in word:
            out += [p for p in word.split("-") if p]
    return out


def faker_names() -> tuple[set[str], set[str]]:
    from faker.providers import person  # heavy (Faker locales): only the demo and the dictionary generator need it

    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attr in dir(provider):
            value = getattr(provider, attr)
            if not isinstance(value, (dict, list, tuple, set, frozenset)):
                continue
            names = [str(n) for n in (value.keys() if isinstance(value, dict) else value)]
            if "first_name" in attr or "first_romanized" in attr:      # also "female_first_names"
                given.update(n for n in names if _latin(n))
            elif "last_name" in attr or "last_romanized" in attr:      # also "unisex_last_names" (pl_PL)
                family.update(n for n in names if _latin(n))
    return given, family


def _street_words() -> tuple[set[str], set[str], set[str]]:
    suffixes = set(STREET_SUFFIX_EXTRA)
    compounds = set(STREET_COMPOUND_EXTRA)
    prefixes = set(STREET_PREFIX_EXTRA)
    from faker.providers import address  # heavy (Faker locales): only the demo and the dictionary generator need it

    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"faker.providers.address.{module.name}").Provider
        if not module.name.startswith(("en", "de", "fr", "nl", "es", "it", "pt", "sv", "da")):
            continue
        if module.name in ("en_AU", "en_CA", "en_GB", "en_IE", "en_NZ", "en_US"):
            suffixes.update(str(s) for s in getattr(provider, "street_suffixes", ()))
        for attr in ("street_suffixes_short", "street_suffixes"):
            if not module.name.startswith("en"):
                compounds.update(str(s).strip().lower() for s in getattr(provider, attr, ())
                                 if str(s).strip() and str(s).strip()[0].islower())
        prefixes.update(str(p).lower() for p in getattr(provider, "street_prefixes", ()) if module.name[:2] in
                        ("fr", "es", "it", "pt"))
    return suffixes, compounds, prefixes


def build() -> dict[str, object]:
    # Faker's locales and spaCy are heavy, and only this generator (run by hand) needs them here.
    import faker
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    given, family = faker_names()
    nz = json.loads((HERE / "nz_names.json").read_text("utf-8"))
    dictionaries = json.loads((HERE.parents[1] / "mask" / "data" / "dictionaries.json").read_text("utf-8"))
    given |= set(nz["given"]) | set(dictionaries["given_names"])
    family |= set(nz["family"]) | set(dictionaries["family_names"])
    particles = {"te", "van", "der", "den", "de", "la", "le", "del", "della", "di", "da", "dos", "das", "do", "von",
                 "bin", "binti", "bint", "ibn", "al", "el", "ter", "ten", "st", "mac", "o", "d", "y", "e", "ó"}
    never = {fold(w) for w in STOP_WORDS} | {fold(w) for w in OPENERS} | particles | \
        {"mr", "mrs", "ms", "miss", "dr", "mx", "sir", "dame", "prof"}
    given_words = {fold(w) for n in given for w in _words(n)}
    family_words = {fold(w) for n in family for w in _words(n)}
    names = given_words | family_words
    bad = {w for w in names if len(w) < 2 or not re.fullmatch(r"[a-z][a-z'\u2019.\-]*", w)} | never
    ambiguous = ({fold(w) for w in AMBIGUOUS} | {fold(w) for w in Lorem.word_list}) & names
    places = {fold(p) for p in [*dictionaries["cities"], *NZ_REGIONS, *Address.countries]}
    suffixes, compounds, prefixes = _street_words()
    return {
        "format": FORMAT_VERSION,
        "sources": {
            "faker": f"Faker {faker.VERSION}: given and family names of every locale (Latin script and romanised "
                     "lists), English words, country names and street types",
            "own": "nz_names.json and the pseudonym dictionaries' names; hand lists in generate_gazetteer.py",
        },
        "given": sorted(given_words - bad),
        "family": sorted(family_words - bad),
        "ambiguous": sorted(ambiguous - bad),
        "never": sorted(never),
        "not_after_cue": sorted(fold(w) for w in NOT_AFTER_CUE),
        "places": sorted(places & names),
        "street_suffixes": sorted(suffixes),
        "street_compounds": sorted(compounds),
        "street_prefixes": sorted(prefixes),
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
