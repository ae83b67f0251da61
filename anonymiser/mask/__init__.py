"""Masking: the keyed pseudonym core and one module per strategy (see ``registry``)."""
