"""nremstats: consolidate national statistics on trafficking in persons.

The public API (imported lazily, so ``import nremstats`` stays cheap)::

    from nremstats import write_template, read_return, validate_files, ingest_files
    from nremstats import open_store, observations, comparison_table, export_table

See README.md and docs/ for the observation format and the command-line contract.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "write_template": "nremstats.template",
    "fill_return": "nremstats.template",
    "read_return": "nremstats.ingest",
    "CheckOptions": "nremstats.ingest",
    "ReturnData": "nremstats.ingest",
    "validate_files": "nremstats.ingest",
    "ingest_files": "nremstats.ingest",
    "open_store": "nremstats.store",
    "Store": "nremstats.store",
    "Submission": "nremstats.store",
    "observations": "nremstats.query",
    "comparison_table": "nremstats.query",
    "ComparisonTable": "nremstats.query",
    "export_table": "nremstats.export",
    "export_long": "nremstats.export",
    "parse_value": "nremstats.values",
    "run_demo": "nremstats.demo",
    "Finding": "nremstats.models",
    "FileReport": "nremstats.models",
    "RunReport": "nremstats.models",
    "NremstatsError": "nremstats.errors",
    "load_layout": "nremstats.layout",
    "Layout": "nremstats.layout",
    "export_in_layout": "nremstats.export_layout",
    "draft_layout": "nremstats.draft",
}

__all__ = [
    "__version__",
    "write_template",
    "fill_return",
    "read_return",
    "CheckOptions",
    "ReturnData",
    "validate_files",
    "ingest_files",
    "open_store",
    "Store",
    "Submission",
    "observations",
    "comparison_table",
    "ComparisonTable",
    "export_table",
    "export_long",
    "parse_value",
    "run_demo",
    "Finding",
    "FileReport",
    "RunReport",
    "NremstatsError",
    "load_layout",
    "Layout",
    "export_in_layout",
    "draft_layout",
]

if TYPE_CHECKING:
    from nremstats.demo import run_demo
    from nremstats.draft import draft_layout
    from nremstats.errors import NremstatsError
    from nremstats.export import export_long, export_table
    from nremstats.export_layout import export_in_layout
    from nremstats.ingest import (
        CheckOptions,
        ReturnData,
        ingest_files,
        read_return,
        validate_files,
    )
    from nremstats.layout import Layout, load_layout
    from nremstats.models import FileReport, Finding, RunReport
    from nremstats.query import ComparisonTable, comparison_table, observations
    from nremstats.store import Store, Submission, open_store
    from nremstats.template import fill_return, write_template
    from nremstats.values import parse_value


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nremstats' has no attribute {name!r}")
