from __future__ import annotations

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.dictionary_fake import DictionaryFake
from anonymiser.mask.registry import register


@register
class Suburb(DictionaryFake):
    name = "suburb"
    entity = "suburb"
    dictionary = "suburbs"
    summary = "keyed fake NZ-style suburb name"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "dictionary"
    accepts = TEXT_KINDS
