"""The demo: the whole pipeline on the bundled sample returns, in a temporary store."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from nremstats.core.errors import SchemaFileError
from nremstats.ingest import ingest_files
from nremstats.publish.tables import ComparisonTable, comparison_table
from nremstats.returns.pipeline import validate_files
from nremstats.returns.results import RunResult
from nremstats.store.store import open_store

SUFFIXES = (".xlsx", ".csv")


def sample_dir() -> Path:
    """Return the bundled sample_data folder (inside the package, else the repo's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_data", here.parent.parent / "sample_data"):
        if (candidate / "errors").is_dir():
            return candidate
    raise SchemaFileError(f"sample_data/ is not found next to {here}. Reinstall nremstats.")


def sample_files(folder: Path) -> list[Path]:
    """Return the returns in a folder (xlsx and csv), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())


@dataclass
class DemoResult:
    """What the demo did: good returns ingested, bad ones validated, the table built."""

    ingested: RunResult
    rejected: RunResult
    table: ComparisonTable
    store: Path

    @property
    def as_designed(self) -> bool:
        """True when every good return was stored and every error return was rejected."""
        good = all(
            r.status != "invalid" and r.rows_stored == r.rows_read for r in self.ingested.files
        )
        bad = all(r.status == "invalid" for r in self.rejected.files)
        return good and bad and bool(self.ingested.files) and bool(self.rejected.files)


def run_demo(
    samples: Path | None = None, store: Path | None = None, indicator: str = "VICTIMS_DETECTED"
) -> DemoResult:
    """Ingest the sample returns into a store (a new temporary one by default), validate the
    sample error returns, and build the comparison table of ``indicator``."""
    samples = samples or sample_dir()
    target = store or Path(tempfile.mkdtemp(prefix="nremstats-demo-")) / "store"
    ingested = ingest_files(sample_files(samples), target)
    rejected = validate_files(sample_files(samples / "errors"))
    table = comparison_table(open_store(target), indicator)
    return DemoResult(ingested, rejected, table, target)
