from __future__ import annotations

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.dictionary_fake import DictionaryFake
from anonymiser.mask.registry import register


@register
class Company(DictionaryFake):
    name = "company"
    entity = "company"
    dictionary = "companies"
    summary = "keyed fake company name"
    technique = "pseudonymisation"
    entities = ("ORGANIZATION",)
    leak_class = "dictionary"
    accepts = TEXT_KINDS
