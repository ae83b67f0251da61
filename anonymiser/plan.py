"""Planning: exactly one masking rule per column, or the run stops (fail closed).

Foreign-key columns that reference a masked key column share the parent's strategy *instance*,
so a natural key (an account number, an email used as a key, a composite key) gets the same
pseudonym in every table and every join still matches.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from anonymiser.detect import suggest_rule
from anonymiser.errors import PolicyDriftError, PolicyError, PolicyOptionError
from anonymiser.mask import registry
from anonymiser.mask.base import Strategy
from anonymiser.policy.load import LoadedPolicy
from anonymiser.policy.model import ColumnRule, Policy
from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo


@dataclass
class ColumnPlan:
    column: ColumnInfo            # the source column
    output: ColumnInfo            # after masking (generalisation may change the type)
    rule: ColumnRule              # the effective rule (inherited for FK columns)
    strategy: Strategy
    unique: bool                  # the output column alone must be unique (source constraint or policy)
    injective: bool               # masked one-to-one: part of a key, or an FK following one
    inherited_from: str | None = None   # "table.column" whose rule an FK column follows

    @property
    def is_keep(self) -> bool:
        return self.strategy.keeps_values


@dataclass
class TablePlan:
    table: TableInfo
    columns: list[ColumnPlan] = field(default_factory=list)

    def output_table(self) -> TableInfo:
        return self.table.model_copy(update={"columns": tuple(c.output for c in self.columns)})


@dataclass
class Plan:
    schema: SchemaInfo            # the source schema incl. virtual FKs, excluded tables removed
    tables: dict[str, TablePlan]

    def output_schema(self) -> SchemaInfo:
        tables = {name: plan.output_table() for name, plan in self.tables.items()}
        return self.schema.model_copy(update={"tables": tables})

    def masks_free_text(self) -> bool:
        """Whether a rule masks free text (the run then needs the analyzer and the known entities)."""
        return any(c.strategy.name == "free_text" for t in self.tables.values() for c in t.columns)


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_names(loaded: LoadedPolicy, schema: SchemaInfo) -> list[str]:
    """Rules naming tables or columns that do not exist in the source."""
    problems = []
    for table_name, table_policy in loaded.policy.tables.items():
        if table_name not in schema.tables:
            line = loaded.line_of("tables", table_name)
            problems.append(f"line {line}: table {table_name!r} is in the policy but not in the source."
                            f"{_did_you_mean(table_name, list(schema.tables))} Remove its rules or fix the name.")
            continue
        columns = schema.tables[table_name].column_names
        for column_name in table_policy.columns:
            if column_name not in columns:
                line = loaded.line_of("tables", table_name, "columns", column_name)
                problems.append(f"line {line}: column {table_name}.{column_name} is in the policy but not in the "
                                f"source.{_did_you_mean(column_name, columns)} Remove the rule or fix the name.")
    return problems


def unruled_columns(policy: Policy, schema: SchemaInfo) -> list[tuple[TableInfo, ColumnInfo]]:
    """Columns of the source with no rule, in tables the policy does not exclude (fail closed: plan
    refuses them; verify's drift gate reports them for an output whose source has changed since)."""
    out: list[tuple[TableInfo, ColumnInfo]] = []
    for table in schema.tables.values():
        table_policy = policy.tables.get(table.name)
        if table_policy is not None and table_policy.exclude:
            continue
        ruled = table_policy.columns if table_policy else {}
        out.extend((table, column) for column in table.columns if column.name not in ruled)
    return out


def suggestion_for(table: TableInfo, column: ColumnInfo) -> str:
    """A rule to add for a new column, in YAML, from detection's name/type heuristics."""
    rule = suggest_rule(table, column).to_yaml()
    if isinstance(rule, str):
        return rule
    return "{ " + ", ".join(f"{k}: {v}" for k, v in rule.items()) + " }"


def drift_problems(loaded: LoadedPolicy, schema: SchemaInfo) -> list[str]:
    """Everything that makes the policy not match the source: unknown names and unruled columns."""
    problems = check_names(loaded, schema)
    for table, column in unruled_columns(loaded.policy, schema):
        problems.append(
            f"column {table.name}.{column.name} ({column.sql_type}) has no rule. Add under "
            f"tables.{table.name}.columns:  {column.name}: {suggestion_for(table, column)}"
        )
    return problems


def raise_on_drift(loaded: LoadedPolicy, schema: SchemaInfo) -> None:
    problems = drift_problems(loaded, schema)
    if problems:
        # file:line of the first problem: a wrong name's own line, else the table (or 'tables:') lacking a rule
        lines = [int(m.group(1)) for p in problems if (m := re.match(r"line (\d+):", p))]
        lines += [loaded.line_of("tables", t.name) or loaded.line_of("tables") or 1
                  for t, _ in unruled_columns(loaded.policy, schema)]
        raise PolicyDriftError(
            f"the policy does not cover the source ({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {p}" for p in problems),
            problems=problems, file=str(loaded.path), line=lines[0] if lines else None,
            hint="Every column needs a rule (fail closed). Add the suggested rules, review them, and run "
                 "'anonymiser check POLICY --source URL' until it passes.",
        )


def build_plan(loaded: LoadedPolicy, schema: SchemaInfo) -> Plan:
    validate_rules(loaded)
    raise_on_drift(loaded, schema)
    policy = loaded.policy
    excluded = policy.excluded_tables()
    for name in sorted(excluded):
        for child, fk in schema.children(name):
            if child not in excluded:
                raise loaded.error(
                    f"table {name!r} is excluded but {child}.{','.join(fk.columns)} references it",
                    "tables", name, "exclude",
                    hint=f"Exclude {child!r} too, or keep {name!r}: the copy must load with constraints on.",
                )
    kept_schema = schema.model_copy(update={"tables": {n: t for n, t in schema.tables.items() if n not in excluded}})
    plans: dict[str, TablePlan] = {}
    built: dict[tuple[str, str], ColumnPlan] = {}
    for table_name in kept_schema.load_order():
        table = kept_schema.tables[table_name]
        inherited = _inherited_columns(kept_schema, table)
        table_plan = TablePlan(table=table)
        for column in table.columns:
            rule = policy.tables[table_name].columns[column.name]
            parent_ref = inherited.get(column.name)
            parent = built.get(parent_ref) if parent_ref else None
            if parent is not None and not parent.is_keep:
                column_plan = _follow_parent(loaded, table, column, rule, parent, parent_ref)
            else:
                column_plan = _own_rule(loaded, table, column, rule)
            table_plan.columns.append(column_plan)
            built[(table_name, column.name)] = column_plan
        plans[table_name] = table_plan
    # Self-references and cycles: a column planned before its parent gets the parent's instance now.
    for table_plan in plans.values():
        inherited = _inherited_columns(kept_schema, table_plan.table)
        for i, column_plan in enumerate(table_plan.columns):
            ref = inherited.get(column_plan.column.name)
            parent = built.get(ref) if ref else None
            if parent is not None and not parent.is_keep and parent.strategy is not column_plan.strategy:
                table_plan.columns[i] = _follow_parent(loaded, table_plan.table, column_plan.column,
                                                       column_plan.rule, parent, ref)
    plan = Plan(schema=kept_schema, tables=plans)
    raise_on_unfit(loaded, plan)
    return plan


def unfit_problems(loaded: LoadedPolicy, plan: Plan) -> list[str]:
    """Columns whose strategy cannot mask their type (known from the schema, before any data is read)."""
    problems = []
    for table_plan in plan.tables.values():
        for c in table_plan.columns:
            why = c.strategy.fit_problem(c.column)
            if why is None:
                continue
            line = loaded.line_of("tables", table_plan.table.name, "columns", c.column.name)
            follows = f" (it follows {c.inherited_from}, a foreign key)" if c.inherited_from else ""
            fit = ", ".join(registry.fitting(c.column)) or "none"
            problems.append(f"{loaded.path}:{line}: {table_plan.table.name}.{c.column.name}{follows}: {why}. "
                            f"Strategies that fit this column: {fit}.")
    return problems


def raise_on_unfit(loaded: LoadedPolicy, plan: Plan) -> None:
    problems = unfit_problems(loaded, plan)
    if problems:
        raise PolicyError(
            f"{len(problems)} rule(s) name a strategy that cannot mask the column's type:\n"
            + "\n".join(f"  - {p}" for p in problems),
            file=str(loaded.path),
            hint="Change each rule to one of the strategies listed for it; nothing was read or written.",
        )


def _inherited_columns(schema: SchemaInfo, table: TableInfo) -> dict[str, tuple[str, str]]:
    refs: dict[str, tuple[str, str]] = {}
    for fk in table.foreign_keys:
        if fk.ref_table in schema.tables:
            for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
                refs.setdefault(col, (fk.ref_table, ref_col))
    return refs


def _own_rule(loaded: LoadedPolicy, table: TableInfo, column: ColumnInfo, rule: ColumnRule) -> ColumnPlan:
    where = ("tables", table.name, "columns", column.name)
    try:
        strategy = registry.build(rule.mask, rule.options)
    except PolicyError as exc:
        raise loaded.error(f"{table.name}.{column.name}: {exc.message}", *where, *_option_path(exc),
                           hint=exc.hint) from None
    for ref in strategy.referenced_columns():
        if ref not in table.column_names:
            raise loaded.error(f"{table.name}.{column.name}: strategy {rule.mask!r} reads column {ref!r}, which "
                               f"{table.name} does not have.{_did_you_mean(ref, table.column_names)}", *where)
    unique = rule.unique if rule.unique is not None else table.is_unique_column(column.name)
    in_key = any(column.name in s for s in table.unique_sets())
    return ColumnPlan(column=column, output=strategy.column_after(column), rule=rule, strategy=strategy,
                      unique=unique, injective=not strategy.keeps_values and (unique or in_key))


def _follow_parent(loaded: LoadedPolicy, table: TableInfo, column: ColumnInfo, rule: ColumnRule,
                   parent: ColumnPlan, parent_ref: tuple[str, str] | None) -> ColumnPlan:
    ref_name = ".".join(parent_ref) if parent_ref else "?"
    if rule.mask not in ("keep", parent.rule.mask) or (rule.mask == parent.rule.mask and rule.options
                                                        and rule.options != parent.rule.options):
        raise loaded.error(
            f"{table.name}.{column.name} references {ref_name}, which is masked with {parent.rule.mask!r}, "
            f"but has its own rule {rule.mask!r}: the join would break",
            "tables", table.name, "columns", column.name,
            hint=f"Give it the same rule as {ref_name} (or 'keep': foreign keys follow their parent's rule).",
        )
    output = parent.strategy.column_after(column)
    unique = rule.unique if rule.unique is not None else table.is_unique_column(column.name)
    return ColumnPlan(column=column, output=output, rule=parent.rule, strategy=parent.strategy,
                      unique=unique, injective=parent.injective, inherited_from=ref_name)


def validate_rules(loaded: LoadedPolicy) -> None:
    """Every rule names a known strategy with valid options (no source needed); all problems at once."""
    problems: list[str] = []
    first_line: int | None = None
    for table_name, table_policy in loaded.policy.tables.items():
        for column_name, rule in table_policy.columns.items():
            try:
                registry.build(rule.mask, rule.options)
            except PolicyError as exc:
                line = loaded.line_of("tables", table_name, "columns", column_name, *_option_path(exc))
                first_line = first_line or line
                problems.append(f"line {line}: {table_name}.{column_name}: {exc.message}. {exc.hint or ''}".strip())
    if problems:
        raise PolicyError(f"{len(problems)} rule(s) cannot be used:\n" + "\n".join(f"  - {p}" for p in problems),
                          file=str(loaded.path), line=first_line, hint="Fix the strategy names and options above.")


def _option_path(exc: PolicyError) -> tuple[str | int, ...]:
    """The keys below a column's rule that a strategy option error points at (for its own line)."""
    return exc.option_path if isinstance(exc, PolicyOptionError) else ()
