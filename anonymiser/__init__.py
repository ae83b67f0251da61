"""anonymiser: masked, sampled, referentially intact copies of production databases."""

__version__ = "0.1.0"
