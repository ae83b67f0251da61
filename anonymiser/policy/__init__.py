"""The policy: pydantic models, YAML loading with line numbers, and drift against a live source."""

from anonymiser.policy.load import LoadedPolicy, load_policy, parse_policy
from anonymiser.policy.model import ColumnRule, Policy, TablePolicy

__all__ = ["ColumnRule", "LoadedPolicy", "Policy", "TablePolicy", "load_policy", "parse_policy"]
