"""Write stored observations in an agency's layout: report once, share many.

A national body answers the same figures to several agencies. ``nremstats export --layout
glotip|eurostat-tsv`` writes the store's national observations (each country's own return)
in that agency's layout, labels from the layout file read backwards, status marks included,
so that ingesting the file with the same layout gives back the same observations. What the
layout cannot hold (a breakdown it does not have, a code it has no label for) is left out
and counted in the result, never bent to fit. Every field is inert
(:mod:`nremstats.core.inert`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.inert import inert_row
from nremstats.core.model import CODED_FIELDS, TOTAL
from nremstats.publish.tables import status_mark
from nremstats.returns.layouts.declaration import Layout, load_layout

if TYPE_CHECKING:
    import pandas as pd

GLOTIP_COLUMNS = [
    "Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex",
    "Age", "Year", "Unit of measurement", "txtVALUE", "Source",
]  # fmt: skip


@dataclass
class LayoutExport:
    """What an export in a layout wrote, and the observations it left out: how many, and
    for each reason (a code without a label in the layout, ...) how many it concerns."""

    layout: str
    rows: int
    text: str
    skipped: int = 0
    left_out: Counter[str] = field(default_factory=Counter)

    def leave_out(self, reasons: list[str]) -> None:
        self.skipped += 1
        self.left_out.update(reasons)

    def summary(self, most: int = 6) -> str:
        if not self.skipped:
            return f"{self.rows} row(s) in the {self.layout} layout."
        reasons = ", ".join(f"{why} ({n})" for why, n in self.left_out.most_common(most))
        more = ", ..." if len(self.left_out) > most else ""
        return (
            f"{self.rows} row(s) in the {self.layout} layout; {self.skipped} observation(s) "
            f"left out, which the layout cannot hold: {reasons}{more}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "rows": self.rows,
            "skipped": self.skipped,
            "left_out": dict(self.left_out),
        }


def _inverse(layout: Layout, dim: str) -> dict[str, str]:
    """Code -> the layout's first label for it."""
    out: dict[str, str] = {}
    for text, code in layout.labels.get(dim, {}).items():
        out.setdefault(code, text)
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    names = list(frame.columns)
    columns = [frame[n].to_numpy(dtype=object, na_value=None) for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def to_glotip(frame: pd.DataFrame, layout: Layout) -> LayoutExport:
    """Long rows in the GLOTIP export's 13 columns (header first, no preamble)."""
    inverse = {dim: _inverse(layout, dim) for dim in CODED_FIELDS}
    result = LayoutExport(layout.name, 0, "")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GLOTIP_COLUMNS)
    for r in _records(frame):
        if r["lower"] not in (None, 0) or (r["obs_status"] == "Q" and r["upper"] is None):
            result.leave_out(["a suppressed value other than <N"])
            continue
        if r["obs_status"] == "M":
            result.leave_out(["not applicable (M), which GLOTIP cannot write"])
            continue
        exploitation, citizenship = r["exploitation"], r["citizenship"]
        if exploitation != TOTAL and citizenship != TOTAL:
            result.leave_out(["form of exploitation by citizenship"])
            continue
        if exploitation != TOTAL:
            dimension, category = (
                "by form of exploitation",
                inverse["exploitation"].get(exploitation),
            )
        elif citizenship != TOTAL:
            dimension = "by citizenship"
            category = inverse["citizenship"].get(citizenship) or codes.country_name(citizenship)
        else:
            dimension, category = "Total", "Total"
        labels = [inverse[d].get(r[d]) for d in ("indicator", "sex", "age")]
        missing = [
            f"{d} {r[d]}"
            for d, text in zip(("indicator", "sex", "age"), labels, strict=True)
            if text is None
        ]
        if category is None:
            missing.append(
                f"exploitation {exploitation}"
                if exploitation != TOTAL
                else f"citizenship {citizenship}"
            )
        if missing:
            result.leave_out(missing)
            continue
        writer.writerow(
            inert_row(
                [
                    r["country"],
                    codes.country_name(r["country"]) or "",
                    "",
                    "",
                    labels[0],
                    dimension,
                    category,
                    labels[1],
                    labels[2],
                    r["year"],
                    "Counts",
                    status_mark(r["value"], r["obs_status"], r["lower"], r["upper"]),
                    "GLOTIP",
                ]
            )
        )
        result.rows += 1
    result.text = out.getvalue()
    return result


def to_eurostat_tsv(frame: pd.DataFrame, layout: Layout) -> LayoutExport:
    """Eurostat's TSV: packed key ``freq,unit,leg_stat,sex,age,citizen,iccs,geo``, years."""
    dims = [
        ("leg_stat", "indicator"),
        ("sex", "sex"),
        ("age", "age"),
        ("citizen", "citizenship"),
        ("iccs", "exploitation"),
    ]
    inverse = {ours: _inverse(layout, ours) for _, ours in dims}
    geo = {code: text for text, code in layout.labels.get("country", {}).items()}
    alpha2 = _alpha2()
    notes = {spec["note"]: letter for letter, spec in layout.flags.items() if "note" in spec}
    result = LayoutExport(layout.name, 0, "")
    cells: dict[tuple[str, ...], dict[int, str]] = {}
    for r in _records(frame):
        if r["lower"] is not None or r["upper"] is not None:
            result.leave_out(["a value known as a range (<5), which the layout cannot write"])
            continue
        key = [inverse[ours].get(r[ours]) for _, ours in dims]
        country = geo.get(r["country"]) or alpha2.get(r["country"])
        if None in key or country is None:
            missing = [
                f"{ours} {r[ours]}"
                for (_, ours), text in zip(dims, key, strict=True)
                if text is None
            ]
            result.leave_out(missing or [f"country {r['country']}"])
            continue
        cells.setdefault(("A", "NR", *key, country), {})[int(r["year"])] = _eurostat_value(r, notes)
    years = sorted({y for row in cells.values() for y in row})
    out = io.StringIO()
    names = ["freq", "unit", *(name for name, _ in dims), "geo\\TIME_PERIOD"]
    out.write("\t".join(inert_row([",".join(names), *(f"{y} " for y in years)])) + "\n")
    for key in sorted(cells):
        row = cells[key]
        # no figure received for that year: an empty cell (':' would say "not available")
        out.write("\t".join(inert_row([",".join(key), *(row.get(y, "") for y in years)])) + "\n")
    result.rows, result.text = len(cells), out.getvalue()
    return result


def _eurostat_value(r: dict[str, Any], notes: dict[str, str]) -> str:
    letters = "".join(notes[n] for n in (r["note"] or "").split("; ") if n in notes)
    other = r["indicator"] == "VICTIMS_DETECTED" and r["definition"] not in (None, "REGISTERED")
    if other and "d" not in letters and "d" in notes.values():
        letters += "d"  # Eurostat counts registered victims: say the definition differs
    if r["value"] is not None:
        flag = {"P": "p", "E": "e", "B": "b"}.get(r["obs_status"], "") + letters
        return f"{int(r['value'])} {flag}" if flag else str(int(r["value"]))
    if r["obs_status"] == "Q":
        return ": c"
    return ": z" if r["obs_status"] == "M" else ":"


def _alpha2() -> dict[str, str]:
    import pycountry

    table = {country.alpha_3: country.alpha_2 for country in pycountry.countries}
    table["XKX"] = "XK"
    return table


WRITERS: dict[str, Callable[[pd.DataFrame, Layout], LayoutExport]] = {
    "glotip": to_glotip,
    "eurostat-tsv": to_eurostat_tsv,
}


def export_in_layout(
    observations: pd.DataFrame,
    name: str,
    countries: set[str] | None = None,
    output: Path | None = None,
) -> LayoutExport:
    """Write the national observations (each country's own return) in a layout.

    Raises:
        OptionError: the layout cannot be written (only those of :data:`WRITERS`).
    """
    if name not in WRITERS:
        raise OptionError(
            f"--layout {name}: nremstats writes only the layouts {', '.join(WRITERS)}."
        )
    frame = observations[observations["provider"] == observations["country"]]
    if countries:
        frame = frame[frame["country"].isin(sorted(countries))]
    result = WRITERS[name](frame, load_layout(name))
    if output is not None:
        Path(output).write_text(result.text, encoding="utf-8")
    return result
