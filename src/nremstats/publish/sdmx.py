"""SDMX-CSV 2.0 for the observations a secretariat publishes (``export --format sdmx-csv``).

One row per observation: ``STRUCTURE`` (``dataflow``), ``STRUCTURE_ID``
(``AGENCY:ID(VERSION)``, configurable), ``ACTION`` (``I``, information), the dimensions
``REF_AREA, TIME_PERIOD, INDICATOR, SEX, AGE, EXPLOITATION, CITIZENSHIP``, the measure
``OBS_VALUE``, then attributes: ``OBS_STATUS``, ``CONF_STATUS``, ``LOWER_BOUND``,
``UPPER_BOUND`` (a value known as a range), ``VICTIM_DEFINITION``, ``DATA_PROVIDER`` and
``COMMENT`` (the country's note). A value suppressed or not available has an empty
``OBS_VALUE`` with its ``OBS_STATUS`` (and ``CONF_STATUS``) saying why. One provider per
country-year is published, chosen by the same priority as comparison tables (``--prefer``),
after disclosure control (:mod:`nremstats.publish.disclosure`). Every text is inert
(:mod:`nremstats.core.inert`: a text a spreadsheet would evaluate gets ``'`` in front); the
numbers are as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nremstats.core import codes
from nremstats.core.errors import OptionError
from nremstats.core.inert import csv_text, inert_frame
from nremstats.core.model import DIMENSIONS
from nremstats.publish.disclosure import PRIMARY, SECONDARY, Protected, threshold
from nremstats.publish.release import Release, audit_release, build_release

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
    earlier: pd.DataFrame | None = None,
) -> SdmxExport:
    """Write the published observations as SDMX-CSV 2.0: the release of ``observations``
    (:func:`nremstats.publish.release.build_release`, threshold ``suppress_below``, default
    from ``schemas/publication.yaml``, given what ``earlier`` releases did), see
    :func:`write_sdmx`."""
    release = build_release(observations, threshold(suppress_below), prefer, earlier)
    return write_sdmx(release, structure, output)


def write_sdmx(
    release: Release, structure: Structure | None = None, output: Path | None = None
) -> SdmxExport:
    """Write a release as SDMX-CSV 2.0, after its audit: the cells it hides are written as
    confidential (empty value, ``OBS_STATUS`` Q, ``CONF_STATUS`` C, the same for a small
    count and for a cell hidden to protect one: "small" says 1 to k-1 and "secondary" 0 or k
    and more, so the reason is not published).

    Raises:
        DisclosureRefused: the audit finds a suppressed count an intruder could narrow.
    """
    structure = structure or Structure()
    audit_release(release)
    rows = release.printed()
    header = [
        "STRUCTURE",
        "STRUCTURE_ID",
        "ACTION",
        *SDMX_DIMENSIONS.values(),
        "OBS_VALUE",
        *ATTRIBUTES.values(),
    ]
    names = [*SDMX_DIMENSIONS, "value", *ATTRIBUTES]
    rows = inert_frame(rows.sort_values(list(SDMX_DIMENSIONS))[names])
    columns = [rows[n].to_numpy(dtype=object, na_value=None) for n in names]
    lead = ["dataflow", structure.urn, "I"]
    text = csv_text([header, *([*lead, *values] for values in zip(*columns, strict=True))])
    if output is not None:
        Path(output).write_text(text, encoding="utf-8")
    return SdmxExport(None if output is not None else text, len(rows), release.protected)
