from __future__ import annotations

from anonymiser.mask.dictionary_fake import DictionaryFake
from anonymiser.mask.registry import register


@register
class Company(DictionaryFake):
    name = "company"
    entity = "company"
    dictionary = "companies"
    summary = "keyed fake company name"
