"""Regenerate ``dictionaries.json`` (run by hand, never at run time).

    .venv/bin/python -m anonymiser.mask.data.generate_dictionaries

Pseudonyms must not change when Faker is upgraded, so the fake values come from this checked-in
file, not from Faker at run time. Faker's locales (en_NZ first, then en_IE/en_GB/en_US to fill)
are sampled once with a fixed seed; Māori and Pasifika names, where Faker is thin, come from
our own lists below, and NZ cities from a list of real towns (not personal data). Changing the file
changes ``anonymiser.mask.dictionaries.VERSION`` (it embeds the content hash) and the golden test.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

FORMAT_VERSION = 1
OUT = Path(__file__).with_name("dictionaries.json")
LOCALES = ("en_NZ", "en_IE", "en_GB", "en_US")

MAORI_GIVEN = [
    'Aroha', 'Anahera', 'Ariana', 'Awhina', 'Hana', 'Hemi', 'Hine', 'Huia', 'Kahu', 'Kahurangi', 'Kiri',
    'Manaia', 'Mere', 'Mereana', 'Moana', 'Nikau', 'Ngaio', 'Paora', 'Pania', 'Rangi', 'Rāwiri', 'Rewi',
    'Ropata', 'Tama', 'Tamati', 'Tāne', 'Tia', 'Tūī', 'Wiremu', 'Whetū', 'Ihaia', 'Hōhepa', 'Māia',
    'Marama', 'Manaaki', 'Kauri', 'Ātaahua', 'Hinemoa', 'Mikaere', 'Nikora', 'Piripi', 'Tipene',
    'Tamatea', 'Tāwhiri', 'Kaea', 'Ahorangi', 'Māui', 'Hohaia', 'Kereama', 'Whaitiri', 'Maiana',
    'Waimarie', 'Arataki', 'Ihorangi', 'Anaru'
]
MAORI_GIVEN_MULTI = ("Te Ariki", "Te Rangi", "Te Aroha")
MAORI_FAMILY = [
    'Ngata', 'Tipene', 'Parata', 'Rewi', 'Tamihana', 'Paewai', 'Tautahi', 'Tuhiwai', 'Horomona',
    'Wihongi', 'Mahuika', 'Kingi', 'Hemara', 'Karaka', 'Ruatapu', 'Tawhai', 'Takerei', 'Pōmare',
    'Ranginui', 'Tūrei', 'Waaka', 'Whaanga', 'Poutama', 'Hēnare', 'Maaka', 'Tukukino', 'Rātana',
    'Potaka', 'Manihera', 'Tamatea', 'Kereama', 'Paki', 'Rāwiri', 'Hohaia', 'Tahana', 'Tawhiri',
    'Mātene', 'Heremaia', 'Wharerau'
]
MAORI_FAMILY_MULTI = ("Te Whata", "Te Awa", "Te Kani", "Te Huia", "Te Maro")
PASIFIKA_GIVEN = [
    'Sione', 'Losa', 'Malia', 'Tevita', 'Sina', 'Ioane', 'Mele', 'Talia', 'Lupe', 'Filipo', 'Siosaia',
    'Vaea', 'Salote', 'Sefa', 'Tavita', 'Iosefa', 'Lagi', 'Manu', 'Fetu', 'Tomasi', 'Viliami',
    'Akanesi', 'ʻOfa', 'Semisi', 'Lesieli', 'Fotu', 'Mosese', 'Kalolaine', 'Tala', 'Seini', 'Paulo',
    'Losaline', 'Sami', 'Lavinia', 'Penitoa', 'Malakai', 'Taniela', 'Fuifui', 'Ana'
]
PASIFIKA_FAMILY = [
    'Tuilagi', 'Leota', 'Faleolo', 'Fonoti', 'Mafi', 'Taufa', 'Vaipulu', 'Tupou', 'Fifita', 'Havili',
    'Lolohea', 'Latu', 'Tonga', 'Faʻamausili', 'Sapolu', 'Aumua', 'Tuimavave', 'Fuimaono', 'Vaifale',
    'Sopoaga', 'Tapueluelu', 'Moala', 'Naufahu', 'Salesa', 'Taumalolo', 'Pulu', 'ʻOtai', 'Afamasaga',
    'Masoe', 'Lemalu', 'Soliai', 'Lauina', 'Tuipulotu', "Fa'alogo", 'Matagi', 'Kupu', 'Lealaiauloto'
]
NZ_CITIES = [
    'Auckland', 'Wellington', 'Christchurch', 'Hamilton', 'Tauranga', 'Dunedin', 'Palmerston North',
    'Napier', 'Hastings', 'Nelson', 'Rotorua', 'New Plymouth', 'Whangārei', 'Invercargill', 'Whanganui',
    'Gisborne', 'Blenheim', 'Timaru', 'Taupō', 'Pukekohe', 'Masterton', 'Levin', 'Ashburton',
    'Whakatāne', 'Cambridge', 'Te Awamutu', 'Feilding', 'Oamaru', 'Queenstown', 'Greymouth', 'Tokoroa',
    'Hāwera', 'Gore', 'Motueka', 'Waiuku', 'Thames', 'Kerikeri', 'Te Puke', 'Rangiora', 'Huntly',
    'Dannevirke', 'Stratford', 'Waipukurau', 'Wānaka', 'Kaitāia', 'Dargaville', 'Westport', 'Hokitika',
    'Kaikōura', 'Picton', 'Ōtaki', 'Martinborough', 'Te Anau', 'Balclutha', 'Alexandra', 'Cromwell',
    'Matamata', 'Morrinsville', 'Paeroa', 'Waihi', 'Ōpōtiki', 'Wairoa'
]


def _unique(values: list[str], limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v:
            seen.setdefault(v, None)
        if len(seen) >= limit:
            break
    return list(seen)


def _provider_names(attr: str) -> list[str]:
    names: list[str] = []
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for a in (attr, f"{attr}_female", f"{attr}_male") if attr == "first_names" else (attr,):
            names.extend(getattr(provider, a, ()))
    return names


def build() -> dict[str, object]:
    from faker import Faker  # heavy (Faker locales): only the demo and the dictionary generator need it

    fake = Faker("en_NZ")
    fake.seed_instance(20250101)
    given = MAORI_GIVEN + list(MAORI_GIVEN_MULTI) + PASIFIKA_GIVEN + _provider_names("first_names")
    family = MAORI_FAMILY + list(MAORI_FAMILY_MULTI) + PASIFIKA_FAMILY + _provider_names("last_names")
    return {
        "format": FORMAT_VERSION,
        "sources": {
            "faker": f"Faker {__import__('faker').VERSION}, locales {', '.join(LOCALES)}, seed 20250101",
            "own": "Māori and Pasifika given/family names; NZ cities (real towns, not personal data)",
        },
        "given_names": sorted(_unique(given, 4000)),
        "family_names": sorted(_unique(family, 4000)),
        "streets": sorted(_unique([fake.street_name() for _ in range(12000)], 3000)),
        "suburbs": sorted(_unique([fake.city() for _ in range(6000)], 1500)),
        "cities": sorted(set(NZ_CITIES)),
        "companies": sorted(_unique([fake.company() for _ in range(8000)], 3000)),
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
