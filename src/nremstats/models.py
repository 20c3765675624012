"""Plain data passed between the pipeline stages and to the renderers.

Nothing here imports pandas, so the CLI can import it on its fast start-up path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

#: Key columns of an observation, in the order of the observation format.
KEY_COLUMNS: tuple[str, ...] = (
    "provider",
    "country",
    "year",
    "indicator",
    "sex",
    "age",
    "exploitation",
    "citizenship",
)
DIMENSIONS: tuple[str, ...] = ("sex", "age", "exploitation", "citizenship")
VALUE_COLUMNS: tuple[str, ...] = ("value", "obs_status", "lower", "upper", "conf_status")
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("definition", "note")
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "submission_id",
    "source_file",
    "source_sha256",
    "sheet",
    "cell",
)
#: Every column of a stored observation, in the order ``export --long`` writes them.
OBSERVATION_COLUMNS: tuple[str, ...] = (
    KEY_COLUMNS + VALUE_COLUMNS + ATTRIBUTE_COLUMNS + PROVENANCE_COLUMNS
)


@dataclass(frozen=True)
class Finding:
    """One thing validation has to say about a return, pinned to its place.

    Attributes:
        rule: stable rule code from ``schemas/rules.yaml``.
        severity: ``error``, ``warning`` or ``info``.
        file: the received file's name as given.
        sheet: sheet name, or ``None`` for CSV.
        cell: the main cell (A1), or ``None`` when the finding is about the whole file.
        cells: every cell involved (a balance lists the total and its parts).
        row: the source row (CSV line or sheet row), or ``None``.
        text: the original text of the offending cell, as received.
        message: plain words with the numbers, saying what to do.
    """

    rule: str
    severity: Severity
    file: str
    message: str
    sheet: str | None = None
    cell: str | None = None
    cells: tuple[str, ...] = ()
    row: int | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding in the shape of the CLI contract's JSON."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "cells": list(self.cells) if self.cells else ([self.cell] if self.cell else []),
            "row": self.row,
            "text": self.text,
            "message": self.message,
        }


@dataclass
class FileReport:
    """What happened to one received file."""

    file: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    submissions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: True when ingest found the same bytes already stored (nothing new was written).
    already_stored: bool = False

    @property
    def status(self) -> Literal["valid", "warnings", "invalid"]:
        severities = {f.severity for f in self.findings}
        if "error" in severities:
            return "invalid"
        if "warning" in severities:
            return "warnings"
        return "valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_stored": self.rows_stored,
            "rows_rejected": self.rows_rejected,
            "submissions": list(self.submissions),
            "status": self.status,
            **({"already_stored": True} if self.already_stored else {}),
        }


@dataclass
class RunReport:
    """The result of ``validate`` or ``ingest`` over many files: data, never printed here."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when no file has an error-level finding."""
        return self.counts["error"] == 0

    def exit_code(self, strict: bool = False) -> int:
        """The contract's exit code: 1 on errors (or on warnings when ``strict``), else 0."""
        counts = self.counts
        if counts["error"] or (strict and counts["warning"]):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        """Return the report as the contract's JSON object."""
        return {
            "format_version": 1,
            "files": [report.to_dict() for report in self.files],
            "findings": [finding.to_dict() for finding in self.findings],
            "counts": self.counts,
        }
