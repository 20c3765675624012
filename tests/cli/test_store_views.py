"""The store's text views fit the terminal: status pages its years, history and diff never
wrap a code, a missing value is blank and a range reads as the tables write it."""

from __future__ import annotations

import re
from pathlib import Path

from nremstats.cli.store_views import coverage_lines, diff_lines, history_lines, year_span
from nremstats.publish.tables import status_mark
from nremstats.store.history import DIFF_KEYS
from tests.conftest import HEADER, invoke, write_csv


def _coverage(countries: list[str], years: range, providers: list[str]) -> dict:
    cells = []
    for country in countries:
        for year in years:
            subs = [
                {"provider": p if p != "NATIONAL" else country, "status": s}
                for p, s in zip(providers, ("valid", "warnings", "stored_in_part"), strict=False)
            ]
            agree = None if len(subs) < 2 else year % 2 == 0
            cells.append(
                {
                    "country": country,
                    "year": year,
                    "submissions": subs,
                    "providers_agree": agree,
                    "discrepancies": 0 if agree in (None, True) else 12,
                }
            )
    return {"countries": countries, "years": list(years), "cells": cells}


def test_status_pages_its_years_to_fit_80_columns() -> None:
    data = _coverage(["AGO", "NLD", "ZWE"], range(2003, 2023), ["NATIONAL", "UNODC", "EUROSTAT"])
    lines = coverage_lines(data, 80)
    assert max(map(len, lines)) <= 80
    headers = [line.split() for line in lines if line.startswith("country")]
    assert len(headers) > 1  # paged
    shown = [int(y) for header in headers for y in header[1:]]
    assert shown == list(range(2003, 2023))  # every year once, in order
    # a cell: N (national) valid, U (UNODC) with warnings, E (EUROSTAT) stored in part,
    # then agreement
    assert re.search(r"^AGO\s+NU!E~≠12\s+NU!E~=\s", lines[2])
    legend = " ".join(lines[-3:])
    assert "N national return; E EUROSTAT; U UNODC" in legend
    wide = coverage_lines(data, 250)
    assert sum(line.startswith("country") for line in wide) == 1


def test_status_tells_providers_apart_by_their_shortest_prefix() -> None:
    data = _coverage(["AGO"], range(2020, 2021), ["UNODC", "UK-NRM", "NATSTAT"])
    lines = coverage_lines(data, 80)
    # UNODC -> UN, UK-NRM -> UK (U is shared); NATSTAT -> NA (N is the national return)
    legend = " ".join(lines)
    assert "UN UNODC" in legend and "UK UK-NRM" in legend and "NA NATSTAT" in legend


def test_history_fits_and_shortens_only_the_file_name() -> None:
    subs = [
        {
            "submission_id": f"UNODC-AGO-{year}-b0d5fcedaef8",
            "years": [year],
            "received_at": "2026-12-02T18:41:07+00:00",
            "vintage": "2023-05-30",
            "status": "warnings",
            "state": "superseded",
            "file": "/some/where/unodc_data_glotip_2023-05-30_and_a_long_name.xlsx",
        }
        for year in (2009, 2010)
    ]
    wide = history_lines("AGO", subs, 160)
    assert "UNODC-AGO-2009-b0d5fcedaef8  2009   2026-12-02 18:41  2023-05-30" in wide[2]
    assert wide[2].endswith("unodc_data_glotip_2023-05-30_and_a_long_name.xlsx")
    lines = history_lines("AGO", subs, 80)
    assert max(map(len, lines)) <= 80
    assert re.match(r"UNODC-AGO-2009-b0d5fcedaef8\s+2009\s+.*2023-05-30\s+warnings", lines[2])
    middle = history_lines("AGO", subs, 100)
    assert max(map(len, middle)) <= 100 and middle[2].endswith("…")
    assert "None" not in "\n".join(lines)
    assert year_span([2021, 2022, 2023]) == "2021-2023"
    assert year_span([2019, 2021]) == "2019,2021"


def test_diff_writes_ranges_as_marks_and_missing_as_blank() -> None:
    def side(value, status, lower=None, upper=None):
        return {"value": value, "obs_status": status, "lower": lower, "upper": upper}

    base = {"country": "NLD", "year": 2023, "provider": "NLD", "indicator": "VICTIMS_DETECTED"}
    changes = [
        {**base, **dict.fromkeys(DIFF_KEYS[2:], "_T"), "sex": "F", "change": "changed"}
        | {"old": side(None, "Q", 0, 4), "new": side(7, "A")},
        {**base, **dict.fromkeys(DIFF_KEYS[2:], "_T"), "change": "added"}
        | {"old": None, "new": side(1234, "P")},
        {**base, **dict.fromkeys(DIFF_KEYS[2:], "_T"), "age": "Y_LT18", "change": "removed"}
        | {"old": side(3, "A", None, None), "new": None},
    ]
    lines = diff_lines({"from": "A", "to": "B", "changes": changes}, DIFF_KEYS, status_mark)
    text = "\n".join(lines)
    assert "None" not in text and "Q" not in text
    assert re.search(r"^F\s+_T\s+_T\s+_T\s+changed\s+<5\s+7$", text, re.M)
    assert re.search(r"^_T\s+_T\s+_T\s+_T\s+added\s+1234 p$", text, re.M)
    assert re.search(r"^_T\s+Y_LT18\s+_T\s+_T\s+removed\s+3$", text, re.M)
    assert "NLD 2023 VICTIMS_DETECTED (provider NLD)" in text
    assert max(map(len, lines)) <= 80


def test_the_cli_views_at_80_columns(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    rows = ["NLD,2023,VICTIMS_DETECTED,_T,_T,_T,_T,{}", "NLD,2023,VICTIMS_DETECTED,F,_T,_T,_T,{}"]
    for n, (total, women) in enumerate([("120", "<5"), ("121", "3")]):
        path = write_csv(
            tmp_path / f"r{n}.csv", [HEADER, rows[0].format(total), rows[1].format(women)]
        )
        assert invoke("ingest", str(path), "--store", store, "-q").exit_code == 0
    narrow = {"COLUMNS": "80"}
    status = invoke("status", "--store", store, env=narrow).stdout
    assert re.search(r"^NLD\s+N!?$", status, re.M)
    history = invoke("history", "NLD", "--store", store, env=narrow).stdout
    diff = invoke("diff", "NLD", "2023", "--store", store, env=narrow).stdout
    for text in (status, history, diff):
        assert max(map(len, text.splitlines())) <= 80
        assert "None" not in text and "│" not in text
    assert re.search(r"^F\s+_T\s+_T\s+_T\s+changed\s+<5\s+3$", diff, re.M)
    assert len(re.findall(r"^NLD-NLD-2023-\w+\s+2023\s", history, re.M)) == 2
