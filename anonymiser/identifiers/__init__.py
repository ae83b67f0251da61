"""Identifier formats and check digits (validation for detection, generation for masking)."""
