"""Findings: what validation has to say about a return, each pinned to its place.

Results are data: every check returns :class:`Finding` objects, made by the one factory
:func:`finding` (its severity is the rule's, declared in ``schemas/rules.yaml``, unless a
check has a reason to say otherwise), and ordered by the one ranking :data:`SEVERITY_RANK`.
A rules file changes severities afterwards (:meth:`nremstats.returns.rules.RuleSet.apply`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from nremstats.core import codes

Severity = Literal["error", "warning", "info"]
#: The severities, most severe first.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
#: Severity -> rank, 0 the most severe: the one order every report and workbook uses.
SEVERITY_RANK: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding from its JSON shape (:meth:`to_dict`), as the store records it."""
        return finding(
            data["rule"],
            data["file"],
            data["message"],
            severity=data["severity"],
            sheet=data.get("sheet"),
            cell=data.get("cell"),
            cells=tuple(data.get("cells") or ()),
            row=data.get("row"),
            text=data.get("text"),
        )


def finding(
    rule: str,
    file: str,
    message: str,
    *,
    severity: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    cells: Iterable[str] = (),
    row: int | None = None,
    text: object = None,
) -> Finding:
    """Make a finding: the one way every stage does.

    Args:
        rule: a rule code of ``schemas/rules.yaml``.
        file: the received file's name.
        message: what is wrong and what to do, with the numbers.
        severity: the rule's declared severity unless given (a check may lower it for a
            reason of its own, e.g. a return that says persons are counted several times).
        sheet, cell, cells, row: the place (``cells``: every cell involved, when several).
        text: the original text of the cell, kept as text.

    Raises:
        SchemaFileError: the rule is not declared in ``schemas/rules.yaml``.
    """
    chosen = severity or codes.severity(rule)
    if chosen not in SEVERITY_RANK:
        raise ValueError(f"severity {chosen!r} of {rule} is not one of {', '.join(SEVERITIES)}")
    return Finding(
        rule=rule,
        severity=chosen,  # type: ignore[arg-type]
        file=file,
        message=message,
        sheet=sheet,
        cell=cell,
        cells=tuple(cells),
        row=row,
        text=None if text is None else str(text),
    )


def report_order(item: Finding) -> tuple[str, int, int, str]:
    """The order a file's findings are reported in: by sheet, row, severity, rule."""
    return (item.sheet or "", item.row or 0, SEVERITY_RANK[item.severity], item.rule)


def most_severe(findings: Iterable[Finding]) -> Severity | None:
    """The most severe severity among ``findings`` (None when there are none)."""
    ranked = min((SEVERITY_RANK[f.severity] for f in findings), default=None)
    return None if ranked is None else SEVERITIES[ranked]
