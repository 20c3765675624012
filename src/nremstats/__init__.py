"""nremstats: consolidate national statistics on trafficking in persons.

The public API (imported lazily, so ``import nremstats`` stays cheap)::

    from nremstats import write_template, read_return, validate_files, ingest_files
    from nremstats import open_store, observations, comparison_table, export_table

The package reads as the pipeline. Its stages are subpackages in layers, each importing only
its own layer and the layers before it (``tests/test_architecture.py`` reads this line and
fails on any import against it, and on any import cycle)::

    core -> template -> returns -> store -> publish -> ingest, demo -> cli

- ``core``: errors, the observation model (dimensions declared once), the declarations of
  ``schemas/``, label harmonisation, the one value parser, the one finding factory, files,
  the one guard that keeps written texts inert (never a spreadsheet formula);
- ``template``: the return workbook (grid declaration, writing and filling it);
- ``returns``: a received file read, located, mapped and checked (schema, balances,
  plausibility, rules), feedback workbooks; ``returns.layouts``: foreign layouts;
- ``store``: the versioned Parquet store (manifest, reads, writes, compaction, history,
  verify);
- ``publish``: comparison tables, disclosure control, aggregates, shares, SDMX, charts,
  exports and the annual report;
- ``ingest`` (returns into the store) and ``demo``; ``cli``: the command line, one module per
  help panel and the one terminal renderer.

See README.md and docs/ for the observation format and the command-line contract.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "write_template": "nremstats.template.workbook",
    "fill_return": "nremstats.template.workbook",
    "read_return": "nremstats.returns.pipeline",
    "CheckOptions": "nremstats.returns.pipeline",
    "ReturnData": "nremstats.returns.pipeline",
    "validate_files": "nremstats.returns.pipeline",
    "ingest_files": "nremstats.ingest",
    "open_store": "nremstats.store.store",
    "Store": "nremstats.store.store",
    "Submission": "nremstats.store.manifest",
    "observations": "nremstats.publish.tables",
    "comparison_table": "nremstats.publish.tables",
    "ComparisonTable": "nremstats.publish.tables",
    "export_table": "nremstats.publish.export",
    "export_long": "nremstats.publish.export",
    "parse_value": "nremstats.core.values",
    "run_demo": "nremstats.demo",
    "Finding": "nremstats.core.findings",
    "FileResult": "nremstats.returns.results",
    "RunResult": "nremstats.returns.results",
    "NremstatsError": "nremstats.core.errors",
    "load_layout": "nremstats.returns.layouts.declaration",
    "Layout": "nremstats.returns.layouts.declaration",
    "export_in_layout": "nremstats.publish.export_layout",
    "draft_layout": "nremstats.returns.layouts.draft",
}
#: Names of earlier releases, kept for scripts that import them.
_ALIASES = {"FileReport": "FileResult", "RunReport": "RunResult"}

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
    "FileResult",
    "RunResult",
    "FileReport",
    "RunReport",
    "NremstatsError",
    "load_layout",
    "Layout",
    "export_in_layout",
    "draft_layout",
]

if TYPE_CHECKING:
    from nremstats.core.errors import NremstatsError
    from nremstats.core.findings import Finding
    from nremstats.core.values import parse_value
    from nremstats.demo import run_demo
    from nremstats.ingest import ingest_files
    from nremstats.publish.export import export_long, export_table
    from nremstats.publish.export_layout import export_in_layout
    from nremstats.publish.tables import ComparisonTable, comparison_table, observations
    from nremstats.returns.layouts.declaration import Layout, load_layout
    from nremstats.returns.layouts.draft import draft_layout
    from nremstats.returns.pipeline import CheckOptions, ReturnData, read_return, validate_files
    from nremstats.returns.results import FileResult, RunResult
    from nremstats.returns.results import FileResult as FileReport
    from nremstats.returns.results import RunResult as RunReport
    from nremstats.store.manifest import Submission
    from nremstats.store.store import Store, open_store
    from nremstats.template.workbook import fill_return, write_template


def __getattr__(name: str) -> Any:
    target = _ALIASES.get(name, name)
    if target in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[target]), target)
    raise AttributeError(f"module 'nremstats' has no attribute {name!r}")
