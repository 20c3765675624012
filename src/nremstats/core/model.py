"""The observation model: its columns and its breakdown dimensions, declared once.

Every stage reads these names from here (the breakdown dimensions, their total code, the
columns of a stored observation in the order of the observation format). Nothing here
imports pandas, so the CLI can import it on its fast start-up path.
"""

from __future__ import annotations

#: The breakdowns of an observation, in the order of the observation format.
DIMENSIONS: tuple[str, ...] = ("sex", "age", "exploitation", "citizenship")
#: The code of a breakdown's total (every category together).
TOTAL = "_T"
#: The breakdown codes of a total figure: every dimension at its total.
ALL_TOTALS: dict[str, str] = dict.fromkeys(DIMENSIONS, TOTAL)

#: The key fields whose values are codes of a code list (``schemas/codelists.yaml``, the
#: indicators of ``schemas/indicators.yaml``): what labels are mapped to.
CODED_FIELDS: tuple[str, ...] = ("indicator", *DIMENSIONS)

#: The provider that stands for each country's own return (a layout's ``provider: national``,
#: and in a priority such as ``--prefer UNODC,NATIONAL``); stored as the country's code.
NATIONAL = "NATIONAL"

#: Key columns of an observation, in the order of the observation format.
KEY_COLUMNS: tuple[str, ...] = ("provider", "country", "year", *CODED_FIELDS)
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
