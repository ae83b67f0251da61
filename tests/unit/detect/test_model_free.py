"""Detection without a model: names (gazetteer + cues), whole addresses, Luhn cards, phones of any region."""

from __future__ import annotations

import pytest

from anonymiser.detect.addresses import AddressFinder
from anonymiser.detect.analyze import analyze_texts, resolve_overlaps
from anonymiser.detect.engine import get_engine
from anonymiser.detect.gazetteer import VERSION, load
from anonymiser.detect.numbers import find_cards, find_phones, luhn_ok
from anonymiser.detect.persons import PersonFinder


def _spans(text: str, entity: str) -> list[str]:
    hits = analyze_texts([text], engine=get_engine("blank"), entities=[entity], workers=1)[0]
    return [text[h.start:h.end] for h in resolve_overlaps(hits)]


@pytest.mark.parametrize(("text", "names"), [
    ("My name is Aantje Mourik but everyone calls me Aantje.", ["Aantje Mourik", "Aantje"]),
    ("My name is Quilla.", ["Quilla"]),
    ("Te Aorere Te Whata called about the invoice.", ["Te Aorere Te Whata"]),
    ("Handed over to Ludo van der Berg for follow-up.", ["Ludo van der Berg"]),
    ("Please ask Mrs ten Brink to call back.", ["ten Brink"]),
    ("Aisha bin Abdullah and Seán O'Sullivan share the account.", ["Aisha bin Abdullah", "Seán O'Sullivan"]),
    ("Regards,\nMakerita", ["Makerita"]),
    ("Ngata, Aroha — loyalty member.", ["Ngata", "Aroha"]),
    ("According to Ebun Mourik, the box was open. Mourik sent photos.", ["Ebun Mourik", "Mourik"]),
    ("Hemi's parcel arrived damaged.", ["Hemi"]),
    ("Spoke with Aroha Ngata; aroha said she would call back.", ["Aroha Ngata", "aroha"]),
    ("Mark Brown asked us to mark the invoice as paid.", ["Mark Brown"]),
], ids=["repeated-given", "single-unseen-after-my-name-is", "maori-particles", "dutch-particles", "title-particle",
        "arabic-irish-coordinated", "sign-off", "family-comma-given", "repeated-family", "possessive",
        "repeated-in-lower-case", "lower-case-everyday-word-not-repeated"])
def test_names_are_found(text: str, names: list[str]) -> None:
    assert _spans(text, "PERSON") == names


@pytest.mark.parametrize("text", [
    "A Boring Drama of a Dentist And a Cat who must Chase a Monkey in Ancient China",
    "Mark the invoice as paid once the transfer clears.",
    "Will ship in May once the new stock arrives.",
    "Rose gold finish is out of stock until June.",
    "Hunter green jackets are back in sizes S to XL.",
    "The Wellington office moved to level 3.",
    "Customer Service will call you back.",
    "Confirmation sent to the usual address; no reply yet.",
    "Price for SKU AB-4780 changed on 12 July.",
], ids=["catalogue-title-case", "verb-mark", "modal-will-month-may", "colour-rose", "colour-hunter", "place-wellington",
        "role-not-name", "opening-noun-and-verb", "product-code"])
def test_no_names_in_text_without_people(text: str) -> None:
    assert _spans(text, "PERSON") == []


# Trial F16: names written in lower case or in capitals, held to the gazetteer and a cue.
@pytest.mark.parametrize(("text", "names"), [
    ("call aroha ngata re the refund; aroha said ok", ["aroha ngata", "aroha"]),
    ("spoke with te rangi apanui about the late parcel", ["te rangi apanui"]),
    ("hi ilona, your replacement is on its way", ["ilona"]),
    ("mrs ngata rang about the invoice", ["ngata"]),
    ("Refund approved after a chat with lupe aumua.", ["lupe aumua"]),
    ("CALL VILIAMI TUILAGI RE THE REFUND", ["VILIAMI TUILAGI"]),
    ("Parcel for AROHA NGATA was left at the depot.", ["AROHA NGATA"]),
    ("ATTN: ROBIN CRAWFORD", ["ROBIN CRAWFORD"]),
], ids=["lower-pair-after-cue-and-repeat", "lower-particle-given", "lower-given-after-greeting", "lower-title-family",
        "lower-in-sentence", "capitals-sentence", "capitals-in-sentence", "capitals-after-label"])
def test_names_in_lower_case_or_capitals_are_found(text: str, names: list[str]) -> None:
    assert _spans(text, "PERSON") == names


@pytest.mark.parametrize("text", [
    "can you call me back tomorrow, will ring the depot",
    "aroha said the parcel was late",                      # a lower-case given name alone, no cue: kept
    "my name is on the account; thanks heaps, hi all",
    "Paid with VISA card; IRD and GST numbers attached.",
    "PLEASE SEND THE INVOICE TO ACCOUNTS BY FRIDAY",
    "ROSE GOLD RING, KING SIZE BED, LONG STREET DEPOT",
    "stock take scheduled for saturday; the store opens at 10am.",
], ids=["lower-cue-words", "lower-given-without-cue", "lower-phrases", "acronyms", "capitals-plain",
        "capitals-everyday-names", "lower-plain"])
def test_no_names_in_lower_case_or_capitals_without_people(text: str) -> None:
    assert _spans(text, "PERSON") == []


def test_name_parts_carry_roles_for_consistent_pseudonyms() -> None:
    text = "Te Aorere Te Whata rang. Later Te Aorere said thanks, and Mrs Whata agreed."
    hits = analyze_texts([text], engine=get_engine("blank"), entities=["PERSON"], workers=1)[0]
    roles = sorted({(text[a:b], role) for h in hits for a, b, role in h.parts})
    assert roles == [("Te Aorere", "given"), ("Te Whata", "family"), ("Whata", "family")]


@pytest.mark.parametrize(("number", "found"), [
    ("4111 1111 1111 1111", True),           # Visa 16
    ("4222222222222", True),                 # Visa 13
    ("3782 822463 10005", True),             # Amex 4-6-5
    ("3056 930902 5904", True),              # Diners 14
    ("6759 6498 2643 8453", True),           # Maestro 16
    ("5018 0000 0009", True),                # Maestro 12
    ("6011-0009-9013-9424", True),           # Discover 16
    ("6250 9410 0652 8599 008", True),       # UnionPay 19
    ("4111 1111 1111 1112", False),          # Luhn fails
    ("1234 5678 9012 3452", False),          # Luhn ok, no scheme digit, no card word
], ids=lambda v: str(v))
def test_cards_are_luhn_valid_12_to_19_digits(number: str, found: bool) -> None:
    assert bool(find_cards(f"Paid with {number} yesterday.")) is found


def test_card_without_scheme_digit_needs_a_card_word() -> None:
    assert luhn_ok("1234567890123452")
    assert find_cards("card number 1234 5678 9012 3452")


@pytest.mark.parametrize("phone", [
    "021 555 1234", "(09) 555 1234", "+64 21 555 1234", "0800 123 456", "+44 20 7946 0958",
    "+1 415-555-2671", "+61 412 345 678", "+49 30 901820", "+33 1 42 68 53 00", "+91 98765 43210",
    "+86 138 0013 8000", "+679 331 2345", "+685 7212345", "+27 82 123 4567", "+55 11 91234-5678",
], ids=lambda v: str(v))
def test_phones_of_any_region(phone: str) -> None:
    text = f"Please ring me on {phone} today."
    found = find_phones(text)
    assert [text[s.start:s.end] for s in found] == [phone]


def test_phone_region_is_the_sources() -> None:
    text = "Call (415) 555-2671 after lunch."
    assert find_phones(text, "NZ") == []
    assert [text[s.start:s.end] for s in find_phones(text, "US")] == ["(415) 555-2671"]


@pytest.mark.parametrize(("text", "address"), [
    ("Deliver to Flat 2, 14 Kauri Road, Mount Eden, Auckland 1024 after 5pm.",
     "Flat 2, 14 Kauri Road, Mount Eden, Auckland 1024"),
    ("New address:\n3/18 George Road\nPetone\nLower Hutt 5012\nNew Zealand\nThanks!",
     "3/18 George Road\nPetone\nLower Hutt 5012\nNew Zealand"),
    ("Apt. 841\n77 Scott Avenue\nPort Stratfordtown 8543", "Apt. 841\n77 Scott Avenue\nPort Stratfordtown 8543"),
    ("Send it to Hauptstraße 12, 10115 Berlin please.", "Hauptstraße 12, 10115 Berlin"),
    ("Ship to 5, avenue Samson, 57583 Lacroix-Bourg.", "5, avenue Samson, 57583 Lacroix-Bourg"),
    ("Ship to Kerkstraat 7\n1317 YB Amsterdam", "Kerkstraat 7\n1317 YB Amsterdam"),
    ("Ship to 1777 Kramer Court, Johnsonfurt, NE 80119.", "1777 Kramer Court, Johnsonfurt, NE 80119"),
    ("PO Box 4411, Wellington 6140", "PO Box 4411, Wellington 6140"),
], ids=["nz-one-line", "nz-multi-line", "unit-line-before", "german", "french", "dutch", "us", "po-box"])
def test_whole_addresses(text: str, address: str) -> None:
    assert _spans(text, "STREET_ADDRESS") == [address]


def test_address_parts_cover_every_line() -> None:
    text = "Flat 2, 14 Kauri Road\nMount Eden\nAuckland 1024"
    (span,) = AddressFinder().find(text)
    assert [(text[p.start:p.end], p.role) for p in span.parts] == [
        ("Flat 2, ", "unit"), ("14 Kauri Road", "street"), ("Mount Eden", "locality"), ("Auckland", "locality"),
        ("1024", "postcode")]


@pytest.mark.parametrize("text", [
    "3 items on the way, 2 more next week.", "Order 100234 shipped via NZ Post on 12 March.",
    "Stock level for QZ-4783 is 7 units across all stores.",
], ids=["counts", "order-number", "stock"])
def test_no_address_in_plain_numbers(text: str) -> None:
    assert _spans(text, "STREET_ADDRESS") == []


def test_gazetteer_is_versioned_and_multi_locale() -> None:
    g = load()
    assert VERSION.startswith("1+") and len(VERSION) == 14
    assert {"aroha", "sione", "hiroshi", "giuseppe", "jurgen", "wojciech", "priya"} <= g.given
    assert {"ngata", "tuilagi", "nguyen", "kowalski", "rossi", "muller", "tanaka", "wang"} <= g.family
    assert {"mark", "grace", "chase", "rose"} <= g.ambiguous
    assert {"the", "will", "later"} <= g.never and "wellington" in g.places
    assert PersonFinder(g).find("Spoke with Giuseppe Rossi.")
