"""Generate the labelled free-text evaluation set: ``tests/eval/free_text.jsonl``.

    .venv/bin/python -m tests.eval.generate            # rewrite the file
    .venv/bin/python -m tests.eval.generate --check    # exit 1 if the file differs from a fresh run

Every sentence is a template filled with seeded values and the character offsets of every personal
span are recorded, so no hand labelling is involved. The mix (templates × Faker locales × NZ
identifiers): names from 30 Faker locales, Māori and Pasifika names, names with particles
("Te Aorere Te Whata", "van der Berg", "O'Brien"), names alone and repeated ("My name is Aantje
Mourik but everyone calls me Aantje"), *unseen* names (from a list checked to be in none of the
Faker locales nor our NZ lists: detection must find them from context, not from a gazetteer),
one-line and multi-line addresses of eight countries, Luhn-valid cards of 12 to 19 digits,
phone numbers of 40 regions in international and national layouts, emails, NZ identifiers with
valid check digits, names written in lower case or in capitals, and sentences with no personal data
at all (catalogue prose in title case, order notes, words that are also names: "Mark the invoice",
"Rose gold", "in May", and such sentences in lower case or capitals).

Nothing here is real personal data: names come from Faker's lists and common-name lists, numbers
are random (check digits made valid), addresses are Faker's or built from NZ street/place words.
The output depends only on the seed and the pinned Faker/phonenumbers versions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

from anonymiser.identifiers import nz

OUT = Path(__file__).with_name("free_text.jsonl")
SEED = 20260512
FORMAT = 1

NAME_LOCALES = (
    "en_NZ", "en_AU", "en_GB", "en_US", "en_IE", "en_IN", "en_KE", "en_PK", "de_DE", "de_AT", "fr_FR", "fr_CA",
    "nl_NL", "nl_BE", "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT", "pl_PL", "cs_CZ", "sv_SE", "da_DK", "no_NO",
    "fi_FI", "tr_TR", "ro_RO", "hu_HU", "id_ID", "vi_VN",
)
ROMANISED_LOCALES = ("ja_JP", "zh_CN")

MAORI_GIVEN = ["Aroha", "Anahera", "Awhina", "Hana", "Hemi", "Hine", "Huia", "Kahu", "Kahurangi", "Kiri", "Manaia",
               "Mere", "Moana", "Nikau", "Ngaio", "Paora", "Pania", "Rāwiri", "Rewi", "Tama", "Tamati", "Tāne",
               "Wiremu", "Whetū", "Hōhepa", "Māia", "Marama", "Mikaere", "Tipene", "Te Aorere", "Te Rangi",
               "Te Ariki", "Aperahama", "Ngaire", "Miriama", "Kororia"]
MAORI_FAMILY = ["Ngata", "Tipene", "Parata", "Tamihana", "Paewai", "Tautahi", "Tuhiwai", "Horomona", "Wihongi",
                "Mahuika", "Karaka", "Ruatapu", "Tawhai", "Pōmare", "Ranginui", "Waaka", "Whaanga", "Poutama",
                "Hēnare", "Rātana", "Te Whata", "Te Awa", "Te Kani", "Te Huia", "Herewini", "Apanui", "Katene"]
PASIFIKA_GIVEN = ["Sione", "Losa", "Malia", "Tevita", "Sina", "Ioane", "Mele", "Talia", "Lupe", "Filipo", "Siosaia",
                  "Salote", "Sefa", "Tavita", "Iosefa", "Viliami", "Akanesi", "Semisi", "Lesieli", "Mosese",
                  "Kalolaine", "Seini", "Losaline", "Taniela"]
PASIFIKA_FAMILY = ["Tuilagi", "Leota", "Faleolo", "Fonoti", "Mafi", "Taufa", "Vaipulu", "Tupou", "Fifita", "Havili",
                   "Lolohea", "Latu", "Sapolu", "Aumua", "Fuimaono", "Sopoaga", "Tapueluelu", "Moala", "Naufahu",
                   "Taumalolo", "Afamasaga", "Lemalu", "Tuipulotu", "Fa'alogo"]
PARTICLE_FAMILY = ["van der Berg", "van den Heuvel", "van Dijk", "de Vries", "de la Cruz", "del Río", "di Stefano",
                   "da Silva", "dos Santos", "von Essen", "Le Roux", "La Salle", "bin Abdullah", "binti Hassan",
                   "al-Rashid", "O'Brien", "O'Sullivan", "McDonald", "MacLeod", "Mac Giolla", "ter Horst",
                   "ten Brink", "Te Whata", "Te Kani", "St John", "Ó Briain", "D'Angelo", "Van Houten",
                   "de Jong", "van Rijn"]
# Names checked (at generation time) to be in no Faker locale nor our NZ lists: the "unseen" slice.
UNSEEN_GIVEN = ["Aantje", "Oluwaseun", "Thandiwe", "Siddharth", "Zygmunt", "Anouk", "Eilidh", "Kwabena", "Ngozi",
                "Tadhgán", "Priyamvada", "Xiomara", "Yevgenia", "Bartholomeus", "Ifeoluwa", "Saoirsea", "Dagfinn",
                "Radomír", "Wojciecha", "Chidubem", "Mahlet", "Tsegaye", "Kealoha", "Anuhea", "Makerita",
                "Tavake", "Sigrídur", "Þórhallur", "Yaretzi", "Itzel", "Quilla", "Nayeli", "Amaru", "Sekou",
                "Folasade", "Ayodele", "Chinonso", "Ebun", "Henare", "Mānuka", "Rūaumoko", "Keahi", "Lanakila",
                "Fenna", "Wietske", "Sjoerd", "Hiske", "Tjitske", "Eelco", "Oane"]
UNSEEN_FAMILY = ["Mourik", "Adebayo-Okafor", "Mahlangu", "Raghunathan", "Wiśniewska-Kowal", "Ó Floinn",
                 "Nwachukwu", "Oyelaran", "Haile-Mariam", "Kahananui", "Akana", "Fifitaloa", "Tuiasosopo",
                 "Þorvaldsdóttir", "Xicohténcatl", "Quispe-Mamani", "Diallo-Traoré", "Okonkwo-Eze", "Tjeerdsma",
                 "Hoekstrawijk", "Zwaagstra", "Brouwersma", "Kuipersloot", "Mbeki-Dlamini", "Ngcobozi",
                 "Vaiaoga", "Leiatauaa", "Pouesi", "Fa'amoe", "Rangitauira", "Tawhiao-Kerei", "Whakaruru",
                 "Oyinlola", "Chukwuemeka", "Balogun-Ade", "Szczepańska", "Grzybowska-Lis", "Przybylak",
                 "Kovalchuk-Ivanenko", "Sørbøe"]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mx"]
EMAIL_DOMAINS = ["xtra.co.nz", "gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com",
                 "orcon.net.nz", "web.de", "mail.ru", "protonmail.com", "company.co.nz", "uni.ac.nz"]

# --- NZ addresses from street/place words (not personal data) ---------------------------------
NZ_STREETS = ["Queen", "Kauri", "Rimu", "Totara", "Victoria", "Karangahape", "Ponsonby", "Dominion", "Great North",
              "Manukau", "Tamaki", "Remuera", "Lambton", "Cuba", "Willis", "Riccarton", "Colombo", "Cashel",
              "George", "Princes", "Te Atatū", "Moana", "Pōhutukawa", "Harakeke", "Kōwhai", "Beach", "Station",
              "Church", "Hill", "Park", "Marine", "Ocean View", "Tui", "Kereru", "Matai", "Miro"]
NZ_STREET_TYPES = ["Street", "St", "Road", "Rd", "Avenue", "Ave", "Drive", "Lane", "Place", "Terrace", "Crescent",
                   "Way", "Grove", "Close", "Parade", "Rise", "Highway", "Quay"]
NZ_PLACES = [("Mount Eden", "Auckland", "1024"), ("Ponsonby", "Auckland", "1011"), ("Ōtāhuhu", "Auckland", "1062"),
             ("Papatoetoe", "Auckland", "2025"), ("Te Atatū South", "Auckland", "0610"),
             ("Newtown", "Wellington", "6021"), ("Karori", "Wellington", "6012"), ("Petone", "Lower Hutt", "5012"),
             ("Riccarton", "Christchurch", "8011"), ("Sumner", "Christchurch", "8081"),
             ("Frankton", "Hamilton", "3204"), ("Mount Maunganui", "Tauranga", "3116"),
             ("St Clair", "Dunedin", "9012"), ("Havelock North", "Hastings", "4130"),
             ("Stoke", "Nelson", "7011"), ("Ngongotahā", "Rotorua", "3010"), ("Kelburn", "Wellington", "6012"),
             ("Onekawa", "Napier", "4110"), ("Glenfield", "Auckland", "0629"), ("Avondale", "Auckland", "1026")]
NZ_REGIONS = ["Auckland", "Wellington", "Canterbury", "Waikato", "Bay of Plenty", "Otago", "Hawke's Bay"]
ADDRESS_LOCALES = ("en_AU", "en_GB", "en_US", "en_IE", "de_DE", "fr_FR", "nl_NL", "es_ES")

# --- Cards: (prefixes, lengths) of real schemes, Luhn-valid numbers of 12–19 digits -------------
CARD_SCHEMES = [
    (["4"], [13, 16, 19]),                                 # Visa
    (["51", "52", "53", "54", "55", "2221", "2720"], [16]),  # Mastercard
    (["34", "37"], [15]),                                  # American Express
    (["6011", "65"], [16, 19]),                            # Discover
    (["36", "300", "305"], [14]),                          # Diners Club
    (["3528", "3589"], [16, 17, 19]),                      # JCB
    (["5018", "5020", "5038", "6304", "6759", "6761"], [12, 13, 15, 18, 19]),   # Maestro
    (["62"], [16, 17, 18, 19]),                            # UnionPay
]
PHONE_REGIONS = ("AU", "GB", "US", "CA", "IE", "DE", "FR", "NL", "BE", "ES", "IT", "PT", "BR", "MX", "AR", "CL",
                 "IN", "PK", "CN", "JP", "KR", "SG", "MY", "PH", "ID", "VN", "TH", "ZA", "NG", "KE", "EG", "AE",
                 "SA", "TR", "PL", "SE", "NO", "DK", "FI", "CH", "FJ", "WS", "TO", "CK")

# --- Sentences with no personal data -------------------------------------------------------------
CATALOGUE_ADJ = ["Epic", "Boring", "Fateful", "Astounding", "Insightful", "Thoughtful", "Emotional", "Beautiful",
                 "Touching", "Unbelieveable", "Intrepid", "Awe-Inspiring", "Lacklusture", "Stunning", "Taut"]
CATALOGUE_GENRE = ["Drama", "Documentary", "Saga", "Story", "Panorama", "Reflection", "Tale", "Yarn",
                   "Character Study", "Display", "Epistle", "Mystery"]
CATALOGUE_NOUN = ["Dentist", "Monkey", "Teacher", "Mad Scientist", "Feminist", "Boat", "Girl", "Woman", "Student",
                  "Robot", "Crocodile", "Shark", "Pioneer", "Hunter", "Astronaut", "Frisbee", "Lumberjack", "Cat",
                  "Dog", "Moose", "Squirrel", "Husband", "Waitress", "Technical Writer", "Composer", "Explorer",
                  "Car", "Butler", "Sumo Wrestler", "Pastry Chef", "Secret Agent", "Lady", "Boy", "Man", "Hunter",
                  "Database Administrator", "Forensic Psychologist", "Mad Cow", "Madman", "Cowboy", "Sailor"]
CATALOGUE_VERB = ["Chase", "Sink", "Battle", "Outrace", "Pursue", "Fight", "Kill", "Meet", "Find", "Succumb to",
                  "Vanquish", "Reach", "Overcome", "Confront", "Redeem", "Build", "Discover", "Defeat", "Escape",
                  "Outgun", "Challenge", "Face", "Conquer", "Marry", "Bill", "Mark", "Rob"]
CATALOGUE_PLACE = ["Ancient China", "The Gulf of Mexico", "A Shark Tank", "The Canadian Rockies", "Nigeria",
                   "Soviet Georgia", "A Baloon Factory", "The Outback", "A Manhattan Penthouse", "Berlin",
                   "A Jet Boat", "The Sahara Desert", "A U-Boat", "A MySQL Convention", "Australia",
                   "The First Manned Space Station", "An Abandoned Fun House", "A Monastery", "Ancient India",
                   "A Shark Tank", "A Car Dealership", "An Abandoned Mine Shaft", "The Gulf of Mexico"]
PLAIN_SENTENCES = [
    "Mark the invoice as paid once the transfer clears.",
    "Will ship in May once the new stock arrives.",
    "Rose gold finish is out of stock until June.",
    "Chase the supplier for the missing pallets.",
    "Grace period for returns is 30 days from delivery.",
    "Bill the account monthly, not weekly.",
    "Hunter green jackets are back in sizes S to XL.",
    "Amber warning issued for the Auckland depot; deliveries may be late.",
    "Frank feedback from the warehouse team about the new scanners.",
    "Sandy beach towels sold out over the long weekend.",
    "Ruby red and Ivy green are the two new colours this season.",
    "Hope the replacement part fixes the leak this time.",
    "Max order quantity is 12 per customer.",
    "Penny pincher bundle: three for the price of two.",
    "Joy of Cooking, 9th edition, hardback.",
    "Summer sale ends on Sunday at midnight.",
    "Crystal glasses must be packed with extra bubble wrap.",
    "Dawn deliveries start at 6am from the Wellington depot.",
    "Autumn range lands in Christchurch stores next week.",
    "Young Adult fiction moved to aisle 4.",
    "King size duvet covers are on back order.",
    "Brown paper bags only; no plastic in the Dunedin store.",
    "Long Black and Flat White prices up 20 cents from Monday.",
    "Church Road warehouse closes at 4pm on Fridays.",
    "Park the van at the loading bay, not on the street.",
    "Cash payments are no longer accepted at the counter.",
    "Price match applies to identical items from NZ retailers only.",
    "Baker's dozen promotion ran for two weeks in April.",
    "Page 3 of the catalogue has the wrong SKU for the kettle.",
    "Miles driven this month: 1,240 km across three vans.",
    "Dean's list certificates printed and ready for collection.",
    "The Apple iPhone 15 case comes in black, blue and clear.",
    "Samsung Galaxy tablets are excluded from the promotion.",
    "Order 100234 shipped via NZ Post on 12 March; tracking number sent by text.",
    "Invoice INV-2024-0012 was credited in full.",
    "Returned item was unopened, refund approved for $49.99.",
    "Customer asked whether the blender is dishwasher safe.",
    "The courier left the parcel at reception as requested.",
    "Stock take scheduled for Saturday; the store opens at 10am.",
    "Payment declined twice, customer will try another card later.",
    "Please reship with signature required and mark it fragile.",
    "Warranty claim rejected: damage caused by a drop.",
    "Delivery window changed to Tuesday afternoon.",
    "New Zealand Post strike may delay rural deliveries.",
    "Product code KX-4410 replaces KX-4400 from July.",
    "Hamilton store reports the EFTPOS terminal is offline again.",
    "Mount Maunganui pop-up shop opens on 3 December.",
    "Wellington office moved to level 3 of the same building.",
    "The Queen Street store will close early on Anzac Day.",
    "Pinot Noir from Central Otago, 2019 vintage, 750 ml.",
    "Kauri Gum polish, 250 ml tin, made in Northland.",
    "Sold out: Manuka honey UMF 15+, 500 g jars.",
    "Ticket closed after two follow-ups with no reply.",
    "Escalated to tier 2 because the fault keeps recurring.",
    "Refund of 3 items processed; the fourth is still in transit.",
    "Box 4 of 6 arrived crushed; photos attached to the claim.",
    "Update the FAQ page about Christmas shipping cut-off dates.",
    "Speak to the team lead before offering a discount above 15%.",
    "Lost in transit: second claim this month for the same route.",
    "Quote valid for 30 days, excluding GST and freight.",
]
PLAIN_TEMPLATES = [
    "Order {n} was split into {k} parcels because of its weight.",
    "Customer requested {k} extra units of SKU {sku}; back order raised.",
    "Invoice {n} paid on {date}; receipt emailed automatically.",
    "Tracking {sku}{n} shows the parcel at the {city} depot since {date}.",
    "Moved {k} pallets from the {city} warehouse to the {city2} store.",
    "Price for SKU {sku} changed from ${a}.99 to ${b}.49 on {date}.",
    "Case {n} reopened: the replacement also failed after {k} days.",
    "Stock level for {sku} is {k} units across all stores.",
]

# --- Templates with personal data; each entry: (slice, template) ---------------------------------
NAME_TEMPLATES = [
    "My name is {a.full} but everyone calls me {a.given}.",
    "My name is {a.given}.",
    "Hi, my name is {a.given} and I ordered the blue kettle last week.",
    "Spoke with {a.full} about the refund; {a.given} was happy with the outcome.",
    "{a.full} called to update the delivery instructions.",
    "Please ask {a.title} to call back after 3pm.",
    "Dear {a.given}, thanks for your patience with this order.",
    "Hi {a.given}, your replacement is on its way.",
    "Passed to {a.given} in accounts for a credit note.",
    "Signed for by {a.full} at the front desk.",
    "Complaint from {a.full}: the courier was rude. {a.given} wants an apology.",
    "cc {a.full} and {b.full} on the reply.",
    "The account holder, {a.full}, authorised {b.full} to collect the parcel.",
    "Customer {a.full} reported the item missing. Spoke to {a.given} again on Friday.",
    "{a.given} said the parcel was left in the rain.",
    "Refund approved by {b.full} after a chat with {a.title}.",
    "Handed over to {b.given} {b.family} for follow-up; {a.full} prefers email.",
    "Note from {a.given}: please do not ring before 9am.",
    "Parcel addressed to {a.full} was delivered to the neighbour, {b.full}.",
    "{a.title} asked whether {b.given} could pick it up instead.",
    "Lodged by {a.full} on behalf of her mother, {b.full}.",
    "Thanks {a.given}! {b.given} will sort the invoice today.",
    "According to {a.full}, the box was already open. {a.family} sent photos.",
    "Left a voicemail for {a.title}; will try {a.given} again tomorrow.",
    "Contact person: {a.full}.",
    "Emergency contact is {b.full} (sister).",
    "{a.full} and {b.full} share the account.",
    "I am writing on behalf of {a.full}, who cannot use a phone.",
    "Please update the name on the account to {a.full}.",
    "Message from {a.full}:\nThe tracking link does not work.\nRegards,\n{a.given}",
    "Was told by {a.given} {a.family} that the order was cancelled, but {a.given} was mistaken.",
    "Everyone in the team knows {a.given}; {a.given} has been a customer since 2015.",
    "Call back requested by {a.title} regarding the damaged sofa.",
    "Spoke to {a.given}'s husband, {b.full}, about the delay.",
    "{a.family}, {a.given} — loyalty member, gold tier.",
]
CONTACT_TEMPLATES = [
    ("email", "Reply to {a.email} with the tracking number."),
    ("email", "{a.full} ({a.email}) says the parcel never arrived."),
    ("email", "Confirmation sent to {email}; no reply yet."),
    ("email", "New email on file: {a.email}. Old one bounced."),
    ("email", "Forward the invoice to {email} and cc {email2}."),
    ("phone", "Call {a.given} on {phone} after 5pm."),
    ("phone", "Customer changed their number to {phone}."),
    ("phone", "Ph: {phone}"),
    ("phone", "Please ring me back on {phone} or {phone2}, whichever is easier."),
    ("phone", "Mobile {phone}, work {phone2}."),
    ("phone", "{a.full}, {phone}, wants a callback about the warranty."),
    ("phone", "My number overseas is {phone}."),
    ("card", "Card used: {card}. Customer asked for a refund to the same card."),
    ("card", "Please charge {card} for the balance."),
    ("card", "The card number {card} was declined twice."),
    ("card", "Paid with {card}, expiry 09/27."),
    ("card", "{a.full} read out the card number {card} over the phone, which we must not record."),
    ("address", "Please send it to {addr}."),
    ("address", "Deliver to {addr} after 5pm."),
    ("address", "New address:\n{addr_ml}"),
    ("address", "{a.full}\n{addr_ml}"),
    ("address", "I moved from {addr} last month, please update my details."),
    ("address", "Parcel returned to sender from {addr}; nobody home."),
    ("address", "Ship to:\n{a.full}\n{addr_ml}\nThank you!"),
    ("address", "Billing address is {addr}, delivery address is the same."),
    ("nz_id", "IRD number {ird} provided for the tax invoice."),
    ("nz_id", "My IRD is {ird}."),
    ("nz_id", "Patient NHI {nhi} was seen at the clinic."),
    ("nz_id", "NHI number: {nhi}"),
    ("nz_id", "Refund to bank account {bank} please."),
    ("nz_id", "Pay into {bank} (the account holder is {a.full})."),
    ("nz_id", "Our NZBN is {nzbn}."),
    ("nz_id", "Company NZBN {nzbn} on the invoice is wrong."),
    ("nz_id", "Driver licence number {dl}, version 123."),
    ("nz_id", "Passport number {passport}, expires 2031."),
    ("nz_id", "{a.full}, IRD {ird}, bank account {bank}."),
    ("mixed", "{a.full} ({a.email}, {phone}) lives at {addr} and paid with {card}."),
    ("mixed", "From: {a.full} <{a.email}>\nPhone: {phone}\nAddress: {addr}"),
    ("mixed", "Spoke with {a.given} on {phone}; confirmation to {a.email}. IRD {ird} updated."),
]

# Names written in lower case or in capitals (trial F16): (case, template). "lower" / "upper" write the
# whole sentence so; "lower name" / "upper name" only the names, in an ordinary sentence.
CASED_TEMPLATES = [
    ("lower", "call {a.full} re the refund"),
    ("lower", "spoke with {a.full} about the late parcel, will ring back"),
    ("lower", "{a.full} called about the warranty claim"),
    ("lower", "hi {a.given}, your replacement is on its way"),
    ("lower", "complaint from {a.full}: courier was rude"),
    ("lower", "parcel for {a.full} left with the neighbour"),
    ("upper", "CALL {a.full} RE THE REFUND"),
    ("upper", "PARCEL FOR {a.full} LEFT AT THE DEPOT"),
    ("upper", "ATTN: {a.full}"),
    ("upper", "SPOKE WITH {a.full} ABOUT THE LATE PARCEL"),
    ("upper name", "Parcel for {a.full} was left at the depot."),
    ("upper name", "Spoke with {a.full} about the refund; {a.given} was happy."),
    ("upper name", "Account holder: {a.full}"),
    ("lower name", "Spoke with {a.full} about the refund."),
    ("lower name", "Call {a.given} on the usual number after 5pm."),
    ("lower name", "Refund approved after a chat with {a.full}."),
]


@dataclass
class Person:
    given: str
    family: str
    kind: str                      # seen | nz | particle | unseen
    title: str
    email: str


@dataclass
class Sentence:
    text: str = ""
    spans: list[dict[str, Any]] = field(default_factory=list)

    def add(self, value: str, span_type: str | None = None, **meta: Any) -> None:
        if span_type is not None:
            self.spans.append({"start": len(self.text), "end": len(self.text) + len(value), "type": span_type,
                               **meta})
        self.text += value


def _all_known_words() -> set[str]:
    """Every word of the product's gazetteer: a name is *unseen* when none of its words is in it."""
    from anonymiser.detect.gazetteer import load as gazetteer

    g = gazetteer()
    return set(g.given) | set(g.family)


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        from anonymiser.detect.gazetteer import fold

        known = _all_known_words()
        self.unseen_given = [n for n in UNSEEN_GIVEN if fold(n) not in known]
        self.unseen_family = [n for n in UNSEEN_FAMILY
                              if not any(fold(w) in known for w in re.split(r"[\s\-']+", n) if w)]

    def faker(self, locale: str) -> Faker:
        if locale not in self.fakers:
            f = Faker(locale)
            f.seed_instance(self.rng.randrange(1 << 30))
            self.fakers[locale] = f
        return self.fakers[locale]

    # --- values -------------------------------------------------------------------------------
    def person(self, kind: str) -> Person:
        rng = self.rng
        if kind == "seen":
            locale = rng.choice(NAME_LOCALES + ROMANISED_LOCALES)
            f = self.faker(locale)
            if locale in ROMANISED_LOCALES:
                given, family = f.first_romanized_name(), f.last_romanized_name()
            else:
                given, family = f.first_name(), f.last_name()
        elif kind == "nz":
            if rng.random() < 0.6:
                given, family = rng.choice(MAORI_GIVEN), rng.choice(MAORI_FAMILY)
            else:
                given, family = rng.choice(PASIFIKA_GIVEN), rng.choice(PASIFIKA_FAMILY)
        elif kind == "particle":
            given = self.faker(rng.choice(("nl_NL", "de_DE", "es_ES", "fr_FR", "en_IE", "en_NZ"))).first_name()
            if rng.random() < 0.25:
                given = rng.choice(MAORI_GIVEN)
            family = rng.choice(PARTICLE_FAMILY)
        else:
            given, family = rng.choice(self.unseen_given), rng.choice(self.unseen_family)
        title = rng.choice(TITLES)
        local = re.sub(r"[^a-z]", "", _ascii(given).lower()) or "user"
        last = re.sub(r"[^a-z]", "", _ascii(family).lower()) or "x"
        email = f"{rng.choice([f'{local}.{last}', f'{local}{last[:1]}', f'{local[:1]}{last}', f'{local}_{last}'])}" \
                f"{rng.choice(['', '', str(rng.randint(1, 99))])}@{rng.choice(EMAIL_DOMAINS)}"
        return Person(given, family, kind, title, email)

    def email(self) -> str:
        f = self.faker(self.rng.choice(("en_NZ", "en_US", "de_DE", "fr_FR")))
        return str(f.user_name()) + "@" + self.rng.choice(EMAIL_DOMAINS + ["example.org"])

    def phone(self, international: bool) -> str:
        rng = self.rng
        region = rng.choice(PHONE_REGIONS) if international else "NZ"
        kind = rng.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
        example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
        national = str(example.national_number)
        for _ in range(200):
            keep = min(3, len(national) - 4)
            digits = national[:keep] + "".join(str(rng.randint(0, 9)) for _ in range(len(national) - keep))
            number = phonenumbers.parse(f"+{example.country_code}{digits}")
            if phonenumbers.is_valid_number(number):
                break
        else:
            number = example
        fmt = phonenumbers.PhoneNumberFormat
        if not international:
            style = rng.random()
            national_text = phonenumbers.format_number(number, fmt.NATIONAL)
            if style < 0.45:
                return national_text
            if style < 0.6:
                return national_text.replace(" ", "-")
            if style < 0.7:
                return re.sub(r"\D", "", national_text)
            if style < 0.85:
                return phonenumbers.format_number(number, fmt.INTERNATIONAL)
            return phonenumbers.format_number(number, fmt.E164)
        style = rng.random()
        if style < 0.6:
            return phonenumbers.format_number(number, fmt.INTERNATIONAL)
        if style < 0.8:
            return phonenumbers.format_number(number, fmt.E164)
        if style < 0.9:
            return "00" + phonenumbers.format_number(number, fmt.INTERNATIONAL)[1:]
        return phonenumbers.format_number(number, fmt.INTERNATIONAL).replace(" ", "-")

    def card(self) -> str:
        rng = self.rng
        prefixes, lengths = rng.choice(CARD_SCHEMES)
        prefix, length = rng.choice(prefixes), rng.choice(lengths)
        body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
        number = body + str(_luhn_digit(body))
        sep = rng.choice([" ", " ", "-", ""])
        if length == 15 and prefix in ("34", "37") or length == 14:
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i:i + 4] for i in range(0, length, 4)]
            if len(groups[-1]) < 3:           # 13 digits: 4-4-5, not 4-4-4-1
                groups[-2:] = [groups[-2] + groups[-1]]
        return sep.join(groups)

    def nz_address(self, multiline: bool) -> tuple[str, list[str]]:
        rng = self.rng
        suburb, city, postcode = rng.choice(NZ_PLACES)
        number = str(rng.randint(1, 400)) + rng.choice(["", "", "", "A", "B"])
        street = f"{rng.choice(NZ_STREETS)} {rng.choice(NZ_STREET_TYPES)}"
        unit = rng.choice(["", "", "", f"Flat {rng.randint(1, 9)}", f"Unit {rng.randint(1, 30)}",
                           f"{rng.randint(1, 12)}/"])
        if unit.endswith("/"):
            line1 = f"{unit}{number} {street}"
        elif unit:
            line1 = f"{unit}, {number} {street}"
        else:
            line1 = f"{number} {street}"
        parts = [line1, suburb, f"{city} {postcode}"]
        if rng.random() < 0.2:
            parts = [line1, suburb, city, postcode]
        if rng.random() < 0.15:
            parts.append("New Zealand")
        if rng.random() < 0.1:
            parts = [line1, f"RD {rng.randint(1, 9)}", f"{city} {postcode}"]
        components = [line1, suburb, city, postcode]
        return ("\n" if multiline else ", ").join(parts), components

    def foreign_address(self, multiline: bool) -> tuple[str, list[str]]:
        locale = self.rng.choice(ADDRESS_LOCALES)
        f = self.faker(locale)
        text = str(f.address()).strip()
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        components = [c.strip() for line in lines for c in line.split(",") if c.strip()]
        return ("\n" if multiline else ", ").join(lines), components

    def address(self, multiline: bool) -> tuple[str, list[str]]:
        return self.nz_address(multiline) if self.rng.random() < 0.55 else self.foreign_address(multiline)

    def ird(self) -> str:
        while True:
            base = f"{self.rng.randint(1_000_000, 14_999_999):08d}"
            check = nz.ird_check_digit(base)
            if check is not None and nz.is_valid_ird(base + str(check)):
                digits = (base + str(check)).lstrip("0")
                if len(digits) == 9 and self.rng.random() < 0.6:
                    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
                return digits

    def nhi(self) -> str:
        letters = nz.NHI_LETTERS
        while True:
            first = "".join(self.rng.choice(letters) for _ in range(3))
            if self.rng.random() < 0.5:
                head = first + f"{self.rng.randint(0, 999):03d}"
            else:
                head = first + f"{self.rng.randint(0, 99):02d}" + self.rng.choice(letters)
            check = nz.nhi_check_char(head)
            if check is not None:
                return head + check

    def bank(self) -> str:
        rng = self.rng
        while True:
            bank = rng.choice(["01", "02", "03", "06", "12", "38"])
            branch = f"{rng.randint(1, 999):04d}"
            base = f"{rng.randint(0, 9_999_999):07d}"
            suffix = f"{rng.randint(0, 99):02d}" if rng.random() < 0.7 else f"{rng.randint(0, 99):03d}"
            text = f"{bank}-{branch}-{base}-{suffix}"
            if nz.is_valid_nz_bank_account(text):
                return text if rng.random() < 0.8 else text.replace("-", " ")

    def nzbn(self) -> str:
        while True:
            first = "9429" + f"{self.rng.randint(0, 99_999_999):08d}"
            check = nz.nzbn_check_digit(first)
            if check is not None:
                return first + str(check)

    def licence(self) -> str:
        return "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + \
            f"{self.rng.randint(0, 999_999):06d}"

    def passport(self) -> str:
        return self.rng.choice(["LA", "LH", "LM", "RA", "EA"]) + f"{self.rng.randint(0, 999_999):06d}"

    # --- sentences ---------------------------------------------------------------------------
    def fill(self, template: str, people: dict[str, Person], slice_name: str) -> dict[str, Any]:
        s = Sentence()
        for literal, field_name in _fields(template):
            s.add(literal)
            if field_name:
                self._value(s, field_name, people)
        return {"text": s.text, "spans": s.spans, "slice": slice_name}

    def _value(self, s: Sentence, name: str, people: dict[str, Person]) -> None:
        if "." in name:
            who, part = name.split(".")
            p = people[who]
            if part == "full":
                s.add(f"{p.given} {p.family}", "PERSON", parts=_name_parts(p.given) + _name_parts(p.family),
                      kind=p.kind)
            elif part == "given":
                s.add(p.given, "PERSON", parts=_name_parts(p.given), kind=p.kind)
            elif part == "family":
                s.add(p.family, "PERSON", parts=_name_parts(p.family), kind=p.kind)
            elif part == "title":
                s.add(p.title + " ")
                s.add(p.family, "PERSON", parts=_name_parts(p.family), kind=p.kind)
            elif part == "email":
                s.add(p.email, "EMAIL_ADDRESS")
            return
        if name in ("email", "email2"):
            s.add(self.email(), "EMAIL_ADDRESS")
        elif name in ("phone", "phone2"):
            international = self.rng.random() < 0.5
            s.add(self.phone(international), "PHONE_NUMBER", kind="international" if international else "nz")
        elif name == "card":
            s.add(self.card(), "CREDIT_CARD")
        elif name in ("addr", "addr_ml"):
            text, components = self.address(multiline=name == "addr_ml")
            s.add(text, "STREET_ADDRESS", parts=components)
        elif name == "ird":
            s.add(self.ird(), "NZ_IRD")
        elif name == "nhi":
            s.add(self.nhi(), "NZ_NHI")
        elif name == "bank":
            s.add(self.bank(), "NZ_BANK_ACCOUNT")
        elif name == "nzbn":
            s.add(self.nzbn(), "NZBN")
        elif name == "dl":
            s.add(self.licence(), "NZ_DRIVER_LICENCE")
        elif name == "passport":
            s.add(self.passport(), "NZ_PASSPORT")
        else:
            s.add(self._plain_value(name))

    def _plain_value(self, name: str) -> str:
        rng = self.rng
        values = {
            "n": str(rng.randint(10_000, 999_999)), "k": str(rng.randint(2, 40)),
            "sku": rng.choice(["KX", "TB", "AB", "QZ", "HW"]) + f"-{rng.randint(100, 9999)}",
            "date": f"{rng.randint(1, 28)} {rng.choice(['March', 'April', 'May', 'June', 'July', 'August'])}",
            "city": rng.choice(["Auckland", "Hamilton", "Wellington", "Christchurch", "Dunedin"]),
            "city2": rng.choice(["Tauranga", "Napier", "Nelson", "Whangārei", "Invercargill"]),
            "a": str(rng.randint(10, 99)), "b": str(rng.randint(10, 99)),
        }
        return values[name]

    def catalogue(self) -> str:
        rng = self.rng
        adj = rng.choice(CATALOGUE_ADJ)
        article = "An" if adj[0] in "AEIOU" else "A"
        return (f"{article} {adj} {rng.choice(CATALOGUE_GENRE)} of a {rng.choice(CATALOGUE_NOUN)} And a "
                f"{rng.choice(CATALOGUE_NOUN)} who must {rng.choice(CATALOGUE_VERB)} a {rng.choice(CATALOGUE_NOUN)} "
                f"in {rng.choice(CATALOGUE_PLACE)}")

    def generate(self) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        kinds = ["seen"] * 5 + ["nz"] * 2 + ["particle", "unseen"]
        for i in range(1050):
            kind = kinds[i % len(kinds)]
            people = {"a": self.person(kind), "b": self.person(rng.choice(kinds))}
            out.append(self.fill(rng.choice(NAME_TEMPLATES), people, f"name:{kind}"))
        for i in range(1000):
            slice_name, template = CONTACT_TEMPLATES[i % len(CONTACT_TEMPLATES)]
            people = {"a": self.person(rng.choice(kinds))}
            out.append(self.fill(template, people, slice_name))
        for i in range(500):
            if i % 5 == 0:
                text = self.catalogue()
                out.append({"text": text, "spans": [], "slice": "none:catalogue"})
            elif i % 5 in (1, 2):
                out.append({"text": PLAIN_SENTENCES[(i * 7) % len(PLAIN_SENTENCES)], "spans": [],
                            "slice": "none:plain"})
            else:
                out.append(self.fill(rng.choice(PLAIN_TEMPLATES), {}, "none:template"))
        out += self.cased(kinds)
        for i, record in enumerate(out):
            record["id"] = i
        return out

    def cased(self, kinds: list[str]) -> list[dict[str, Any]]:
        """Names in lower case or capitals (after every other record, which they leave as they were), and
        sentences with no personal data written so too."""
        rng = self.rng
        out: list[dict[str, Any]] = []
        for i in range(200):
            case, template = CASED_TEMPLATES[i % len(CASED_TEMPLATES)]
            people = {"a": self.person(rng.choice(kinds))}
            record = self.fill(template, people, f"name:{case}")
            convert = _lower if case.startswith("lower") else _upper
            text = record["text"]
            if case.endswith("name"):
                for span in record["spans"]:
                    text = text[:span["start"]] + convert(text[span["start"]:span["end"]]) + text[span["end"]:]
            else:
                text = convert(text)
            record["text"] = text
            for span in record["spans"]:
                span["kind"] = "lower case" if case.startswith("lower") else "capitals"
                span["parts"] = [convert(part) for part in span.get("parts", [])]
            out.append(record)
        for i in range(60):
            if i % 3 == 0:
                text = self.catalogue()
            elif i % 3 == 1:
                text = PLAIN_SENTENCES[(i * 11) % len(PLAIN_SENTENCES)]
            else:
                text = self.fill(rng.choice(PLAIN_TEMPLATES), {}, "")["text"]
            out.append({"text": _upper(text) if i % 2 else _lower(text), "spans": [], "slice": "none:cased"})
        return out


def _lower(text: str) -> str:
    """Lower case, character by character so that offsets hold ("İ" stays)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _upper(text: str) -> str:
    """Capitals, character by character so that offsets hold ("ß" stays)."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii())


_FIELD = re.compile(r"\{([a-z_0-9]+(?:\.[a-z]+)?)\}")


def _fields(template: str) -> list[tuple[str, str | None]]:
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for m in _FIELD.finditer(template):
        parts.append((template[pos:m.start()], m.group(1)))
        pos = m.end()
    parts.append((template[pos:], None))
    return parts


_PARTICLES = frozenset({"te", "van", "der", "den", "de", "la", "del", "di", "da", "dos", "von", "le", "bin", "binti",
                        "al", "ter", "ten", "st", "mac", "o", "d", "ó"})


def _name_parts(name: str) -> list[str]:
    """The identifying words of a name: ≥ 2 letters, not a particle ("van", "Te", "O'")."""
    return [w for w in re.split(r"[\s\-]+", name) if len(w) >= 2 and w.lower() not in _PARTICLES]


def _luhn_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def render(records: list[dict[str, Any]]) -> str:
    header = {"format": FORMAT, "seed": SEED, "generator": "tests/eval/generate.py", "sentences": len(records)}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records]
    return "\n".join(lines) + "\n"


def load(path: Path = OUT) -> list[dict[str, Any]]:
    """The records of the committed set (the header line skipped)."""
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    text = render(Generator().generate())
    if args.check:
        same = OUT.exists() and OUT.read_text("utf-8") == text
        print("free_text.jsonl is up to date" if same else "free_text.jsonl differs from a fresh run")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} sentences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
