from __future__ import annotations

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.dictionary_fake import DictionaryFake
from anonymiser.mask.registry import register


@register
class FirstName(DictionaryFake):
    name = "first_name"
    entity = "given_name"
    dictionary = "given_names"
    summary = "keyed fake given name (Māori, Pasifika and en_NZ/GB/IE/US names)"
    technique = "pseudonymisation"
    entities = ()
    leak_class = "dictionary"
    accepts = TEXT_KINDS
