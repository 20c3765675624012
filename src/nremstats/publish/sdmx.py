"""SDMX-CSV 2.0 for the observations a secretariat publishes (``export --format sdmx-csv``).

One row per observation: ``STRUCTURE`` (``dataflow``), ``STRUCTURE_ID``
(``AGENCY:ID(VERSION)``, configurable), ``ACTION`` (``I``, information), the dimensions
``REF_AREA, TIME_PERIOD, INDICATOR, SEX, AGE, EXPLOITATION, CITIZENSHIP``, the measure
``OBS_VALUE``, then attributes: ``OBS_STATUS``, ``CONF_STATUS``, ``LOWER_BOUND``,
``UPPER_BOUND`` (a value known as a range), ``VICTIM_DEFINITION``, ``DATA_PROVIDER`` and
``COMMENT`` (the country's note). A value suppressed or not available has an empty
``OBS_VALUE`` with its ``OBS_STATUS`` (and ``CONF_STATUS``) saying why. One provider per
country-year is published, chosen by the same priority as comparison tables (``--prefer``),
after disclosure control (:mod:`nremstats.publish.disclosure`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.model import ALL_TOTALS, DIMENSIONS
from nremstats.publish.disclosure import (
    PRIMARY,
    SECONDARY,
    Protected,
    protect_observations,
    threshold,
)
from nremstats.publish.tables import parse_priority, provider_rank

if TYPE_CHECKING:
    import pandas as pd

#: Our key columns -> the SDMX dimension ids (a breakdown's id is its name in capitals).
SDMX_DIMENSIONS = {
    "country": "REF_AREA",
    "year": "TIME_PERIOD",
    "indicator": "INDICATOR",
    **{dim: dim.upper() for dim in DIMENSIONS},
}
ATTRIBUTES = {
    "obs_status": "OBS_STATUS",
    "conf_status": "CONF_STATUS",
    "lower": "LOWER_BOUND",
    "upper": "UPPER_BOUND",
    "definition": "VICTIM_DEFINITION",
    "provider": "DATA_PROVIDER",
    "note": "COMMENT",
}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_@$-]*$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


@dataclass(frozen=True)
class Structure:
    """The dataflow the rows belong to: ``AGENCY:ID(VERSION)``; a part not given comes from
    ``sdmx`` in ``schemas/publication.yaml``."""

    agency: str | None = None
    id: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        default = codes.load_declaration("publication.yaml")["sdmx"]
        for name in ("agency", "id", "version"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, str(default[name]))
        for name in ("agency", "id"):
            text = getattr(self, name)
            if not _ID.match(str(text)):
                raise OptionError(
                    f"--sdmx-{name} {text!r}: an SDMX id starts with a letter "
                    "and holds letters, digits and _ @ $ -."
                )
        if not _VERSION.match(str(self.version)):
            raise OptionError(f"--sdmx-version {self.version!r}: write a version like 1.0.")

    @property
    def urn(self) -> str:
        return f"{self.agency}:{self.id}({self.version})"


def published(observations: pd.DataFrame, prefer: str | None = None) -> pd.DataFrame:
    """The observations of one provider per country-year, by priority (national first)."""
    priority = parse_priority(prefer)
    if observations.empty:
        return observations
    providers = observations[["country", "year", "provider"]].drop_duplicates()
    providers = providers.assign(
        rank=[
            provider_rank(p, c, priority)
            for p, c in zip(providers["provider"], providers["country"], strict=True)
        ]
    )
    best = providers.sort_values("rank").drop_duplicates(["country", "year"])
    keep = observations.merge(best[["country", "year", "provider"]], how="inner")
    return keep.sort_values(list(SDMX_DIMENSIONS)).reset_index(drop=True)


@dataclass
class SdmxExport:
    """What was written (``text`` when no output file) and what disclosure control hid."""

    text: str | None
    rows: int
    protected: Protected

    def summary(self) -> str:
        hidden = self.protected.hidden.values()
        primary, secondary = sum(h == PRIMARY for h in hidden), sum(h == SECONDARY for h in hidden)
        return (
            f"{self.rows} observation(s) in SDMX-CSV; suppressed under {self.protected.k}: "
            f"{primary} (primary), {secondary} more so that none can be worked out (secondary)."
        )


def to_sdmx_csv(
    observations: pd.DataFrame,
    structure: Structure | None = None,
    prefer: str | None = None,
    output: Path | None = None,
    suppress_below: int | None = None,
) -> SdmxExport:
    """Write the published observations as SDMX-CSV 2.0, after disclosure control (counts
    under ``suppress_below``, default from ``schemas/publication.yaml``, and the cells that
    would give them away are written as confidential: empty value, ``OBS_STATUS`` Q,
    ``CONF_STATUS`` C, the same for a small count and for a cell hidden to protect one: the
    reason is not published, since "small" says 1 to k-1 and "secondary" 0 or k and more)."""
    structure = structure or Structure()
    k = threshold(suppress_below)
    rows = published(observations, prefer)
    # the comparison tables and the report print every total as it is (under k: as <k), so
    # a total is never chosen as a complement here: hiding it would hide nothing
    totals = rows.index[_all_totals(rows)] if len(rows) else []
    protected = protect_observations(rows, k, fixed=totals) if len(rows) else Protected(k)
    rows = _suppress(rows, protected)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "STRUCTURE",
            "STRUCTURE_ID",
            "ACTION",
            *SDMX_DIMENSIONS.values(),
            "OBS_VALUE",
            *ATTRIBUTES.values(),
        ]
    )
    names = [*SDMX_DIMENSIONS, "value", *ATTRIBUTES]
    columns = [rows[n].to_numpy(dtype=object, na_value=None) for n in names]
    for values in zip(*columns, strict=True):
        writer.writerow(["dataflow", structure.urn, "I", *("" if v is None else v for v in values)])
    text = buffer.getvalue()
    if output is not None:
        Path(output).write_text(text, encoding="utf-8")
    return SdmxExport(None if output is not None else text, len(rows), protected)


def _all_totals(rows: pd.DataFrame) -> Any:
    """Which rows are a country-year's total of an indicator (every breakdown _T)."""
    mask = rows["indicator"].notna()
    for dim, code in ALL_TOTALS.items():
        mask &= rows[dim] == code
    return mask.to_numpy(dtype=bool)


def _suppress(rows: pd.DataFrame, protected: Protected) -> pd.DataFrame:
    """The rows with the hidden cells written as confidential (a country's own marks kept)."""
    ours = {i: r for i, r in protected.hidden.items() if r in (PRIMARY, SECONDARY)}
    if not ours:
        return rows
    rows = rows.copy()
    index = list(ours)
    rows.loc[index, "value"] = None
    rows.loc[index, ["lower", "upper"]] = None
    rows.loc[index, "obs_status"] = "Q"
    rows.loc[index, "conf_status"] = "C"  # one flag: the reason would narrow the cell
    return rows
