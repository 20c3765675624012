"""The annual report written in the format asked for: a workbook, one html file, or the
suppression audit as JSON (for scripts); see :mod:`nremstats.publish.publication`."""

from __future__ import annotations

import json
from pathlib import Path

from nremstats.core.files import write_bytes
from nremstats.core.memory import gc_paused
from nremstats.publish.publication import SUBMISSION_KEYS, Publication
from nremstats.publish.report_html import write_report_html
from nremstats.publish.report_xlsx import write_report_xlsx

#: The formats :func:`write_report` writes.
FORMATS = ("xlsx", "html", "json")


@gc_paused()
def write_report(publication: Publication, fmt: str, output: Path | None) -> str | None:
    """Write the report as ``xlsx`` or ``html`` to ``output``; ``json`` (the audit) to
    ``output`` or, without one, returned as text."""
    if fmt == "xlsx":
        write_report_xlsx(publication, output)
    elif fmt == "html":
        write_report_html(publication, output)
    elif output is None:
        return audit_json(publication)
    else:
        write_bytes(output, audit_json(publication).encode("utf-8"))
    return None


def audit_json(publication: Publication) -> str:
    """The suppression audit and the store state used, for scripts."""
    data = {
        "years": publication.years,
        "made": publication.made,
        "as_of": publication.upto,
        "suppress_below": publication.k,
        "suppressed": publication.audit,
        "submissions": [
            dict(zip(SUBMISSION_KEYS, row, strict=True)) for row in publication.submissions()
        ],
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
