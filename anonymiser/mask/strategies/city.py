from __future__ import annotations

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.dictionary_fake import DictionaryFake
from anonymiser.mask.registry import register


@register
class City(DictionaryFake):
    name = "city"
    entity = "city"
    dictionary = "cities"
    summary = "keyed choice of a real NZ town or city"
    technique = "pseudonymisation"
    entities = ("LOCATION",)
    leak_class = "dictionary"
    accepts = TEXT_KINDS
