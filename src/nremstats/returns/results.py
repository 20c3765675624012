"""The results of ``validate`` and ``ingest``: what happened to each file, as data.

The terminal renderer, the JSON and JUnit reports and the feedback workbooks all read these;
nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nremstats.core.findings import SEVERITIES, Finding, most_severe

FileStatus = Literal["valid", "warnings", "invalid", "nothing_stored"]
_STATUS: dict[str | None, FileStatus] = {"error": "invalid", "warning": "warnings"}


@dataclass
class FileResult:
    """What happened to one received file."""

    file: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    submissions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: True when ingest found the same bytes already stored (nothing new was written).
    already_stored: bool = False
    #: Submissions stored but not current: the store holds a newer vintage of them.
    superseded: list[str] = field(default_factory=list)
    #: Country-years (``ISO3 YEAR``) of the provider that this complete vintage no longer
    #: holds: withdrawn (kept in history, no longer current).
    withdrawn: list[str] = field(default_factory=list)
    #: What the file changed in the current figures (``ingest``; None: nothing stored):
    #: ``added``, ``changed``, ``removed``, ``withdrawn`` counts and the ``largest``
    #: changes (:mod:`nremstats.store.revisions`).
    revisions: dict[str, Any] | None = None
    #: The same bytes were stored before, read another way: stored again (``ingest``).
    reread: bool = False
    #: Why a file of a complete layout was taken as partial (withdrawing nothing).
    partial: str | None = None
    #: The received file itself (``file`` is its name as text, escaped where not UTF-8).
    path: Path | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> FileStatus:
        """``invalid`` with an error; else ``nothing_stored`` when no row of the file is (or,
        for ``validate``, would be) stored; else ``warnings`` with a warning, or ``valid``."""
        worst = most_severe(self.findings)
        if worst != "error" and self.rows_read - self.rows_rejected <= 0:
            return "nothing_stored"
        return _STATUS.get(worst, "valid")

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_stored": self.rows_stored,
            "rows_rejected": self.rows_rejected,
            "submissions": list(self.submissions),
            "status": self.status,
            **({"already_stored": True} if self.already_stored else {}),
            **({"superseded": list(self.superseded)} if self.superseded else {}),
            **({"withdrawn": list(self.withdrawn)} if self.withdrawn else {}),
            **({"revisions": self.revisions} if self.revisions else {}),
            **({"reread": True} if self.reread else {}),
            **({"partial": self.partial} if self.partial else {}),
        }


@dataclass
class RunResult:
    """The result of ``validate`` or ``ingest`` over many files: data, never printed here."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.files for f in result.findings]

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

    def exit_code(self, strict: bool = False, allow_empty: bool = False) -> int:
        """The contract's exit code: 1 on errors (or on warnings when ``strict``), and on a
        file of which nothing is stored unless ``allow_empty``; else 0."""
        counts = self.counts
        if counts["error"] or (strict and counts["warning"]):
            return 1
        if not allow_empty and any(f.status == "nothing_stored" for f in self.files):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        """Return the result as the contract's JSON object."""
        return {
            "format_version": 1,
            "files": [result.to_dict() for result in self.files],
            "findings": [finding.to_dict() for finding in self.findings],
            "counts": self.counts,
        }
