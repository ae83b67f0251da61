"""The embedded demo: a small New Zealand retailer's "production" database in SQLite.

Every person in it is made up (Faker, fixed seed), but the data has the shape of the real thing:
names with macrons, NZ mobiles in three styles, IRD/NHI/bank numbers with valid check digits, a
manager self-reference, a composite key, and support tickets whose free text repeats the
customer's own name, email and phone.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from anonymiser.detect import detect_schema, draft_policy
from anonymiser.identifiers import nz
from anonymiser.policy import parse_policy
from anonymiser.policy.load import LoadedPolicy
from anonymiser.progress import Progress
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect

SEED = 2026
MAORI_GIVEN = ["Aroha", "Mere", "Hēmi", "Wiremu", "Tama", "Anahera", "Rāwiri", "Ngaio", "Manaia", "Kahu", "Tūī",
               "Mānia", "Rangi", "Hine", "Nikau"]
MAORI_FAMILY = ["Ngata", "Parata", "Tipene", "Horomona", "Te Rangi", "Rewiti", "Tūhoe", "Waaka", "Te Whata",
                "Pōmare", "Herewini", "Tāwhiri"]
PASIFIKA_GIVEN = ["Sione", "Losa", "Tevita", "Mele", "Sina", "Pita", "Malia", "Ioane"]
PASIFIKA_FAMILY = ["Tuilagi", "Fonoti", "Taufa", "Leota", "Fifita", "Aumua", "Vaifale", "Tapueluelu"]
TIERS = ["bronze", "silver", "gold", "platinum"]
# Appended by 'anonymiser demo' to the policy scan drafts (scan itself never accepts a risk): every
# record of the demo is below k = 5 on its quasi-identifiers, and verification fails such a copy
# unless the policy records who accepted that and why. The report shows this beside the figure.
DEMO_RISK_ACCEPTANCE = """\
# Added by 'anonymiser demo', not by scan. A real policy reaches k_target by generalising its
# quasi-identifiers (date_of_birth: {mask: generalise, to: year}; postcode: {mask: generalise, to: region})
# or has a named reviewer accept the residual risk here, with the reason.
report:
  environment: demo
  risk_acceptance:
    reviewer: "anonymiser demo (no human review)"
    reason: >-
      The demo's people are made up (Faker, fixed seed): there is nobody to re-identify.
      Real data needs generalised quasi-identifiers or a named reviewer's acceptance.
"""
SCHEMA = """
CREATE TABLE staff (
    staff_id INTEGER PRIMARY KEY,
    full_name VARCHAR(80) NOT NULL,
    email VARCHAR(120) NOT NULL UNIQUE,
    phone VARCHAR(20),
    ird_number VARCHAR(11),
    role VARCHAR(30) NOT NULL,
    manager_id INTEGER REFERENCES staff(staff_id),
    hired_on DATE NOT NULL
);
CREATE TABLE customer (
    customer_id INTEGER PRIMARY KEY,
    first_name VARCHAR(40) NOT NULL,
    last_name VARCHAR(40) NOT NULL,
    email VARCHAR(120) NOT NULL UNIQUE,
    mobile VARCHAR(20),
    street_address VARCHAR(100),
    suburb VARCHAR(60),
    city VARCHAR(40),
    postcode CHAR(4),
    date_of_birth DATE,
    ird_number VARCHAR(11),
    nhi_number CHAR(7),
    bank_account VARCHAR(20),
    loyalty_tier VARCHAR(10) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    notes TEXT
);
CREATE TABLE product (
    product_id INTEGER PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    category VARCHAR(30) NOT NULL,
    price NUMERIC(10, 2) NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer(customer_id),
    served_by INTEGER REFERENCES staff(staff_id),
    ordered_at TIMESTAMP NOT NULL,
    status VARCHAR(12) NOT NULL,
    delivery_address VARCHAR(150),
    total NUMERIC(10, 2) NOT NULL
);
CREATE TABLE order_item (
    order_id INTEGER NOT NULL REFERENCES orders(order_id),
    line_no INTEGER NOT NULL,
    product_id INTEGER NOT NULL REFERENCES product(product_id),
    quantity INTEGER NOT NULL,
    unit_price NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE TABLE support_ticket (
    ticket_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer(customer_id),
    staff_id INTEGER REFERENCES staff(staff_id),
    opened_at TIMESTAMP NOT NULL,
    subject VARCHAR(120) NOT NULL,
    body TEXT NOT NULL
);
"""


def _mobile(rng: random.Random) -> str:
    prefix = rng.choice(["21", "22", "27", "29"])
    number = f"{rng.randrange(1_000_000, 9_999_999)}"
    style = rng.randrange(3)
    if style == 0:
        return f"0{prefix} {number[:3]} {number[3:]}"
    if style == 1:
        return f"+64 {prefix} {number[:3]} {number[3:]}"
    return f"0{prefix}{number}"


def _ird(rng: random.Random) -> str:
    while True:
        base = rng.randrange(nz.IRD_MIN // 10, nz.IRD_MAX // 10)
        check = nz.ird_check_digit(f"{base:08d}")
        if check is not None:
            digits = f"{base:08d}{check}"
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _nhi(rng: random.Random) -> str:
    letters = [c for c in nz.NHI_LETTERS if c != "Z"]  # Z is the test range: real NHIs do not use it
    while True:
        first6 = "".join(rng.choice(letters) for _ in range(3)) + f"{rng.randrange(1000):03d}"
        check = nz.nhi_check_char(first6)
        if check is not None:
            return first6 + check


def _bank_account(rng: random.Random) -> str:
    banks = sorted(bank for bank in nz.KNOWN_BRANCHES if bank in (1, 2, 3, 6, 12, 38))
    while True:
        bank = rng.choice(banks)
        low, high = rng.choice(nz.KNOWN_BRANCHES[bank])
        branch = rng.randint(low, high)
        base = f"{rng.randrange(0, 9_899_999):07d}"
        suffix = f"{rng.randrange(0, 99):02d}"
        if nz.bank_checksum_ok(f"{bank:02d}", f"{branch:04d}", base, suffix):
            return f"{bank:02d}-{branch:04d}-{base}-{suffix}"


def _person(rng: random.Random, fake: object) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(MAORI_GIVEN), rng.choice(MAORI_FAMILY)
    if roll < 0.3:
        return rng.choice(PASIFIKA_GIVEN), rng.choice(PASIFIKA_FAMILY)
    return fake.first_name(), fake.last_name()  # type: ignore[attr-defined]


def _email(first: str, last: str, n: int, rng: random.Random) -> str:
    local = f"{first}.{last}".lower().replace(" ", "")
    for src, dst in zip("āēīōū", "aeiou", strict=True):
        local = local.replace(src, dst)
    return f"{local}{n}@{rng.choice(['xtra.co.nz', 'gmail.com', 'outlook.co.nz', 'icloud.com'])}"


def build_demo_database(path: Path, *, customers: int = 600, seed: int = SEED) -> dict[str, int]:
    """Create the demo database at ``path`` (replaced if present); returns rows per table."""
    from faker import Faker  # heavy (Faker locales): only the demo and the dictionary generator need it

    rng = random.Random(seed)
    fake = Faker("en_NZ")
    fake.seed_instance(seed)
    path.unlink(missing_ok=True)
    epoch = datetime(2024, 1, 1, 9, 0, 0)
    staff, customer, product, orders, items, tickets = [], [], [], [], [], []
    for staff_id in range(1, 41):
        first, last = _person(rng, fake)
        manager = None if staff_id == 1 else rng.randrange(1, min(staff_id, 8) + 1) if staff_id > 8 else 1
        work_email = _email(first, last, staff_id, rng).split("@")[0] + "@kiwigoods.co.nz"
        staff.append((staff_id, f"{first} {last}", work_email,
                      _mobile(rng), _ird(rng), "manager" if staff_id <= 8 else "support", manager,
                      (date(2015, 1, 1) + timedelta(days=rng.randrange(3000))).isoformat()))
    for customer_id in range(1, customers + 1):
        first, last = _person(rng, fake)
        email = _email(first, last, customer_id, rng)
        mobile = _mobile(rng) if rng.random() > 0.05 else None
        street = fake.street_address()
        suburb, city, postcode = fake.city(), rng.choice(["Auckland", "Wellington", "Christchurch", "Hamilton",
                                                          "Dunedin", "Tauranga", "Napier"]), fake.postcode()
        notes = None if rng.random() < 0.6 else rng.choice([
            f"Prefers contact by email ({email}).",
            f"VIP: {first} {last} asked for courier delivery to {street}.",
            "Called about a late parcel; resolved.",
            f"Spoke with {first} on {mobile or 'the landline'} about the loyalty programme.",
        ])
        customer.append((customer_id, first, last, email, mobile, street, suburb, city, postcode,
                         (date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))).isoformat(),
                         _ird(rng) if rng.random() > 0.3 else None, _nhi(rng) if rng.random() > 0.5 else None,
                         _bank_account(rng) if rng.random() > 0.4 else None, rng.choice(TIERS),
                         (epoch + timedelta(minutes=rng.randrange(60 * 24 * 600))).isoformat(sep=" "), notes))
    categories = ["kitchen", "outdoor", "books", "toys", "garden", "tech"]
    for product_id in range(1, 61):
        product.append((product_id, f"{fake.word().title()} {rng.choice(['Kit', 'Set', 'Pack', 'Box'])} {product_id}",
                        rng.choice(categories), round(rng.uniform(4, 400), 2)))
    order_id = 0
    for c in customer:
        for _ in range(rng.randrange(0, 8)):
            order_id += 1
            lines = []
            for line_no in range(1, rng.randrange(2, 5)):
                p = rng.choice(product)
                quantity = rng.randrange(1, 4)
                lines.append((order_id, line_no, p[0], quantity, p[3]))
            items.extend(lines)
            total = round(sum(q * price for *_, q, price in lines), 2)
            orders.append((order_id, c[0], rng.choice(staff)[0] if rng.random() > 0.2 else None,
                           (epoch + timedelta(minutes=rng.randrange(60 * 24 * 680))).isoformat(sep=" "),
                           rng.choice(["paid", "shipped", "delivered", "refunded"]),
                           f"{c[5]}, {c[6]}, {c[7]} {c[8]}", total))
    for ticket_id in range(1, customers * 3 // 2 + 1):
        c = rng.choice(customer)
        first, last, email, mobile, ird = c[1], c[2], c[3], c[4], c[10]
        body = rng.choice([
            f"Kia ora, this is {first} {last}. Please call me on {mobile or 'my landline'} or email {email}.",
            f"Customer {first} {last} ({email}) reports a damaged item. Replacement sent.",
            f"{first} asked us to update their IRD number to {ird or 'the new one'} for the invoice.",
            f"Parcel for {first} {last} left at {c[5]}, {c[6]}. Customer happy.",
            "Order arrived late; apologised and applied a 10% voucher.",
        ])
        tickets.append((ticket_id, c[0], rng.choice(staff)[0] if rng.random() > 0.1 else None,
                        (epoch + timedelta(minutes=rng.randrange(60 * 24 * 680))).isoformat(sep=" "),
                        rng.choice(["Late delivery", "Damaged item", "Account update", "Refund request"]), body))
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO staff VALUES (?,?,?,?,?,?,?,?)", staff)
        conn.executemany("INSERT INTO customer VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", customer)
        conn.executemany("INSERT INTO product VALUES (?,?,?,?)", product)
        conn.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?,?)", orders)
        conn.executemany("INSERT INTO order_item VALUES (?,?,?,?,?)", items)
        conn.executemany("INSERT INTO support_ticket VALUES (?,?,?,?,?,?)", tickets)
    conn.close()
    return {"staff": len(staff), "customer": len(customer), "product": len(product), "orders": len(orders),
            "order_item": len(items), "support_ticket": len(tickets)}


def draft_demo_policy(url: str, directory: Path, progress: Progress) -> LoadedPolicy:
    """Scan the demo source and draft its complete policy, as 'anonymiser scan' would, plus the demo's
    acceptance of the residual risk (its people are made up). Saved as ``directory/policy.yaml``; a run
    copies it into the output."""
    with connect(url) as conn:
        schema = introspect(conn)
        detection = detect_schema(conn, schema, progress=progress)
    text = draft_policy(schema, detection, source_hint=None) + DEMO_RISK_ACCEPTANCE
    path = directory / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_policy(text, path)
