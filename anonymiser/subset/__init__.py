"""Subsetting: sample root tables and follow foreign keys so every kept row's parents are kept.

The ``subset:`` section of the policy is modelled in ``anonymiser.policy.subset`` (the policy owns
its configuration); it is re-exported here for callers of the subset API.
"""

from __future__ import annotations

from anonymiser.policy.subset import ChildRule, RootSpec, SubsetPolicy, VirtualForeignKey
from anonymiser.subset.engine import compute_subset, describe
from anonymiser.subset.graph import virtual_foreign_keys
from anonymiser.subset.result import RowFilter, SubsetResult
from anonymiser.subset.sql import default_batch_size, filter_clauses, iter_key_batches, key_batch_clause

__all__ = [
    "ChildRule", "RootSpec", "RowFilter", "SubsetPolicy", "SubsetResult", "VirtualForeignKey", "compute_subset",
    "default_batch_size", "describe", "filter_clauses", "iter_key_batches", "key_batch_clause",
    "virtual_foreign_keys",
]
