"""The results of ``validate`` and ``ingest``: what happened to each file, as data.

The terminal renderer, the JSON and JUnit reports and the feedback workbooks all read these;
nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nremstats.core.findings import SEVERITIES, Finding, most_severe

FileStatus = Literal["valid", "warnings", "stored_in_part", "invalid", "nothing_stored"]
_STATUS: dict[str | None, FileStatus] = {"error": "invalid", "warning": "warnings"}
#: What makes a run fail (``--fail-on``): any error, only a file rejected whole (an agency
#: compilation stored in part passes), a warning too, or nothing (the exit code then says
#: only that the command ran).
FAIL_ON = ("error", "invalid", "warning", "never")


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
        """With an error: ``stored_in_part`` when some of its rows are (or, for ``validate``,
        would be) stored all the same (a compilation's unreadable rows are rejected one by
        one), else ``invalid``. Without: ``nothing_stored`` when no row is (or would be)
        stored; else ``warnings`` with a warning, or ``valid``."""
        worst = most_severe(self.findings)
        kept = self.rows_read - self.rows_rejected > 0
        if worst == "error":
            return "stored_in_part" if kept else "invalid"
        if not kept:
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

    def exit_code(
        self, strict: bool = False, allow_empty: bool = False, fail_on: str = "error"
    ) -> int:
        """The contract's exit code, 1 or 0. ``fail_on`` (:data:`FAIL_ON`): ``error`` fails
        on any error (a compilation stored in part too); ``invalid`` only on a file rejected
        whole; ``warning`` (or ``strict``) on a warning too; ``never`` never. Unless
        ``never`` or ``allow_empty``, a file of which nothing is stored fails too."""
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}")
        if fail_on == "never":
            return 0
        counts, statuses = self.counts, {f.status for f in self.files}
        if strict or fail_on == "warning":
            failed = bool(counts["error"] or counts["warning"])
        elif fail_on == "invalid":
            failed = "invalid" in statuses
        else:
            failed = bool(counts["error"])
        if not allow_empty and "nothing_stored" in statuses:
            failed = True
        return int(failed)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as the contract's JSON object."""
        return {
            "format_version": 1,
            "files": [result.to_dict() for result in self.files],
            "findings": [finding.to_dict() for finding in self.findings],
            "counts": self.counts,
        }


def describe_submissions(ids: list[str]) -> str:
    """Submissions in a line: ``1 submission: ARG 2021``, ``2,201 UNODC submissions, 199
    countries, 2003-2022`` (read from their ids, ``PROVIDER-ISO3-YEAR-HASH``)."""
    providers: dict[str, int] = {}
    countries, years = set(), set()
    for text in ids:
        parts = text.rsplit("-", 3)
        if len(parts) != 4 or not parts[2].isdigit():
            return f"{len(ids):,} submission(s)"
        providers[parts[0]] = providers.get(parts[0], 0) + 1
        countries.add(parts[1])
        years.add(int(parts[2]))
    span = f"{min(years)}" if len(years) == 1 else f"{min(years)}-{max(years)}"
    if len(countries) == 1 and len(providers) == 1:
        (provider,) = providers
        (country,) = countries
        who = country if provider == country else f"{provider} for {country}"
        return f"{len(ids):,} submission(s): {who} {span}"
    names = ", ".join(f"{n:,} {p}" for p, n in sorted(providers.items()))
    return f"{names} submission(s), {len(countries):,} countries, {span}"
