"""Every recipe operation, registered in `OPERATIONS` (op name → OpSpec) by importing its module."""

from pipelines.recipes.ops import (
    cleaning,
    columns,
    combine,
    compute,
    convert,
    dateparts,
    fill,
    nested,
    reshape,
    rows,
    sql,
)
from pipelines.recipes.ops.base import OPERATIONS, Check, OpConfig, OpSpec, StepContext

__all__ = [
    "OPERATIONS",
    "Check",
    "OpConfig",
    "OpSpec",
    "StepContext",
    "cleaning",
    "columns",
    "combine",
    "compute",
    "convert",
    "dateparts",
    "fill",
    "nested",
    "reshape",
    "rows",
    "sql",
]
