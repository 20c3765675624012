"""Regenerate sample_data/ (deterministic): filled template returns, a canonical long CSV,
and the deliberate error returns documented in sample_data/README.md.

Run from the repository root:  python scripts/make_sample_data.py
The figures are invented but of realistic magnitude; they are not any country's statistics.
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from nremstats.template.grid import metadata_rows
from nremstats.template.workbook import fill_return, write_template

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sample_data"
PERSONS = ("VICTIMS_DETECTED", "PERSONS_SUSPECTED", "PERSONS_PROSECUTED", "PERSONS_CONVICTED")
FORMS = ("SEXUAL", "LABOUR", "CRIMINAL", "BEGGING", "MARRIAGE", "OTHER")

# country, year, language, victims total, definition, foreign citizenships, options
RETURNS = [
    ("NLD", 2022, "en", 958, "PRESUMED", ("ROU", "NGA", "POL"), {}),
    ("NLD", 2023, "en", 1042, "PRESUMED", ("ROU", "NGA", "UKR"), {"note": True}),
    ("FRA", 2023, "fr", 1601, "IDENTIFIED", ("NGA", "CHN", "ROU"), {}),
    ("BEL", 2024, "fr", 231, "IDENTIFIED", ("ROU", "MAR"), {"provisional": True}),
    ("ESP", 2022, "es", 612, "IDENTIFIED", ("PRY", "COL", "ROU"), {}),
    ("MEX", 2023, "es", 702, "IDENTIFIED", ("GTM", "HND"), {}),
    ("ARG", 2021, "es", 1384, "PRESUMED", ("PRY", "BOL"), {"small": True}),
    ("NGA", 2022, "en", 1067, "IDENTIFIED", ("BEN", "TGO"), {"small": True}),
    ("ROU", 2021, "en", 505, "IDENTIFIED", (), {"double": True}),
    ("PHL", 2024, "en", 1520, "IDENTIFIED", ("CHN", "IDN"), {"provisional": True}),
]


def split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split a total into parts proportional to noisy weights; the parts sum to the total."""
    noisy = [w * rng.uniform(0.7, 1.3) for w in weights]
    scale = total / sum(noisy)
    parts = [int(w * scale) for w in noisy]
    parts[0] += total - sum(parts)
    return parts


def shown(value: int, opts: dict, rng: random.Random) -> object:
    if opts.get("small") and 0 < value < 5:
        return "<5"
    if opts.get("provisional") and rng.random() < 0.3:
        return f"{value} p"
    return value


LEAF_FORMS = ("SEXUAL", "LABOUR", "ORGANS", *FORMS[2:], "MIXED", "_U")
OTHER_MEMBERS = ("ORGANS", *FORMS[2:], "MIXED")
SEXES = ("F", "M", "_O", "_U")


def _crossed(by_sex: dict, codes_: tuple, weights: list, rng: random.Random) -> dict:
    """Split each sex's count over one dimension's codes; write the cells and their totals."""
    table = {code: dict.fromkeys(SEXES, 0) for code in codes_}
    for sex, n in by_sex.items():
        for code, part in zip(codes_, split(n, weights, rng), strict=True):
            table[code][sex] = part
    return table


def _write(indicator, dim, table, opts, rng, values) -> None:
    for code, parts in table.items():
        key = {"sex": "_T", "age": "_T", "exploitation": "_T", "citizenship": "_T", dim: code}
        for sex in ("_T", *SEXES):
            cell = (indicator, sex, key["age"], key["exploitation"], key["citizenship"])
            n = sum(parts.values()) if sex == "_T" else parts[sex]
            values[cell] = shown(n, opts, rng)


def indicator_values(indicator: str, total: int, foreign: tuple, opts: dict, rng) -> dict:
    """A fully consistent return: every total equals the sum of its parts."""
    values: dict[tuple, object] = {}
    by_sex = dict(zip(SEXES, split(total, [0.62, 0.36, 0.003, 0.017], rng), strict=True))
    ages = _crossed(by_sex, ("Y_LT18", "Y_GE18", "_U"), [0.3, 0.66, 0.04], rng)
    ages["_T"] = dict(by_sex)
    _write(indicator, "age", ages, opts, rng, values)
    values[(indicator, "_T", "_T", "_T", "_T")] = f"{total} p" if opts.get("provisional") else total
    weights = [0.45, 0.36, 0.01, 0.05, 0.04, 0.02, 0.03, 0.02, 0.02]
    forms = _crossed(by_sex, LEAF_FORMS, weights, rng)
    forms["OTHER_FORMS"] = {s: sum(forms[f][s] for f in OTHER_MEMBERS) for s in SEXES}
    _write(indicator, "exploitation", forms, opts, rng, values)
    groups = _crossed(by_sex, ("NAT", "FOR", "_U"), [0.55, 0.42, 0.03], rng)
    _write(indicator, "citizenship", groups, opts, rng, values)
    foreigners = sum(groups["FOR"].values())
    if foreign and foreigners:  # the largest single citizenships; the rest not itemised
        singles = split(foreigners, [1.0] * len(foreign) + [0.8], rng)
        for code, n in zip(foreign, singles, strict=False):
            values[(indicator, "_T", "_T", "_T", code)] = shown(n, opts, rng)
    return values


def make_return(country, year, lang, victims, definition, foreign, opts, folder: Path) -> Path:
    rng = random.Random(f"{country}{year}")
    path = folder / f"{country}_{year}_{lang}.xlsx"
    write_template(path, country, year, lang)
    values: dict[tuple, object] = {}
    totals = dict(
        zip(
            PERSONS,
            [victims, int(victims * 0.55), int(victims * 0.22), int(victims * 0.09)],
            strict=True,
        )
    )
    for indicator, total in totals.items():
        values.update(indicator_values(indicator, total, foreign, opts, rng))
    offences = int(victims * 0.4)
    values[("OFFENCES_RECORDED", "_T", "_T", "_T", "_T")] = offences
    weights = [0.5, 0.3, 0.01, 0.04, 0.03, 0.02, 0.04, 0.03, 0.03]
    leaves = dict(zip(LEAF_FORMS, split(offences, weights, rng), strict=True))
    leaves["OTHER_FORMS"] = sum(leaves[f] for f in OTHER_MEMBERS)
    for form, n in leaves.items():
        values[("OFFENCES_RECORDED", "_T", "_T", form, "_T")] = n
    if opts.get("double"):
        # 40 women in forced marriage are also counted under other forms: the members of
        # OTHER_FORMS exceed it (a warning, as the metadata says persons may count twice).
        for sex in ("_T", "F"):
            key = ("VICTIMS_DETECTED", sex, "_T", "MIXED", "_T")
            values[key] = int(values[key]) + 40
        # unknown sex not reported: the total is above its parts by sex (warnings)
        for age in ("_T", "Y_LT18", "Y_GE18", "_U"):
            del values[("VICTIMS_DETECTED", "_U", age, "_T", "_T")]
    notes = {}
    if opts.get("note"):
        values[("VICTIMS_DETECTED", "_T", "_T", "_T", "_T")] = f"{victims}*"
        notes[("VICTIMS_DETECTED", "sex_age", "_T")] = "includes 37 possible victims of 2022"
    metadata = {
        "definition": definition,
        "contact_name": "Statistics unit, national rapporteur",
        "contact_email": f"stats@nrem.{country.lower()}.example",
        "multiple_counting": bool(opts.get("double")),
    }
    fill_return(path, values, metadata=metadata, notes=notes)
    return path


def write_canonical_csv(path: Path) -> None:
    header = (
        "provider",
        "country",
        "year",
        "indicator",
        "sex",
        "age",
        "exploitation",
        "citizenship",
        "value",
        "obs_status",
        "definition",
        "note",
    )

    def row(year, indicator, value, sex="_T", age="_T", status="", note=""):
        definition = "IDENTIFIED" if indicator == "VICTIMS_DETECTED" else ""
        return (
            "DEU",
            "DEU",
            year,
            indicator,
            sex,
            age,
            "_T",
            "_T",
            value,
            status,
            definition,
            note,
        )

    rows = [header]
    for year, total, f in ((2021, 710, 488), (2022, 768, 532), (2023, 801, 549)):
        convicted = (
            ("", "L", "court statistics not yet published")
            if year == 2023
            else (int(total * 0.1), "", "")
        )
        rows += [
            row(year, "VICTIMS_DETECTED", total, note="completed investigations only"),
            row(year, "VICTIMS_DETECTED", f, sex="F"),
            row(year, "VICTIMS_DETECTED", total - f - 3, sex="M"),
            row(year, "VICTIMS_DETECTED", "<5", sex="_U"),
            row(year, "VICTIMS_DETECTED", int(total * 0.27), age="Y_LT18"),
            row(year, "PERSONS_SUSPECTED", int(total * 0.6)),
            row(year, "PERSONS_CONVICTED", convicted[0], status=convicted[1], note=convicted[2]),
        ]
    rows.append(row(2023, "PERSONS_PROSECUTED", "1,112 p"))
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def make_errors(folder: Path, scratch: Path) -> None:
    # 1. A Kenyan template with bad cells.
    path = folder / "KEN_2023_bad_cells.xlsx"
    write_template(path, "KEN", 2023, "en")
    fill_return(
        path,
        {
            ("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 412,
            ("VICTIMS_DETECTED", "F", "_T", "_T", "_T"): "twelve",
            ("VICTIMS_DETECTED", "M", "_T", "_T", "_T"): 230,
            ("PERSONS_SUSPECTED", "_T", "_T", "_T", "_T"): -3,
            ("VICTIMS_DETECTED", "_T", "_T", "_T", "XYZ"): 15,
            ("PERSONS_CONVICTED", "_T", "_T", "_T", "_T"): 19,
            ("PERSONS_CONVICTED", "F", "_T", "_T", "_T"): 4,
            ("PERSONS_CONVICTED", "M", "_T", "_T", "_T"): 11,
        },
        metadata={"definition": "IDENTIFIED"},
    )
    wb = load_workbook(path)
    victims = next(ws for ws in wb.worksheets if ws["A1"].value == "nremstats:VICTIMS_DETECTED")
    victims["C31"] = 6  # counts in a single-citizenship row whose code cell is blank
    wb.save(path)
    # 2. An old template version, metadata country left blank.
    path = folder / "UGA_2022_old_version.xlsx"
    write_template(path, "UGA", 2022, "en")
    fill_return(
        path,
        {("VICTIMS_DETECTED", "_T", "_T", "_T", "_T"): 120},
        metadata={"template_version": "0.9"},
    )
    # 3. A workbook that is not our template (a ministry's own table).
    wb = Workbook()
    ws = wb.active
    ws.title = "Tabla 1"
    ws.append(["Víctimas de trata", 2023])
    ws.append(["Mujeres", 310])
    ws.append(["Hombres", 95])
    wb.save(folder / "PER_2023_own_layout.xlsx")
    # 4. A canonical CSV with bad rows.
    rows = [
        "country,year,indicator,sex,age,exploitation,citizenship,value,obs_status,definition",
        "SWE,2023,VICTIMS_DETECTED,_T,_T,_T,_T,388,,IDENTIFIED",
        "SWE,2023,VICTIMS_DETECTED,Female,_T,_T,_T,250,,IDENTIFIED",
        "SWE,2023,VICTIMS_DETECTED,M,_T,_T,_T,131,,IDENTIFIED",
        "SWE,2023,VICTIMS_DETECTED,M,_T,_T,_T,133,,IDENTIFIED",
        "SWZ,1985,PERSONS_CONVICTED,_T,_T,_T,_T,7,,",
        "XXK,2023,PERSONS_SUSPECTED,_T,_T,_T,_T,52,,",
        "SWE,2023,PERSONS_PROSECUTED,_T,_T,_T,_T,12,L,",
    ]
    (folder / "SWE_2023_bad_rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # 5. A CSV with a missing and an unknown column.
    rows = [
        "country,year,indicator,sex,age,exploitation,nationality,value",
        "NOR,2023,VICTIMS_DETECTED,_T,_T,_T,_T,95",
    ]
    (folder / "NOR_2023_missing_column.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    errors = OUT / "errors"
    for folder in (OUT, errors):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.suffix in (".xlsx", ".csv"):
                old.unlink()
    for spec in RETURNS:
        make_return(*spec, folder=OUT)
    write_canonical_csv(OUT / "DEU_2021-2023_canonical.csv")
    scratch = Path(tempfile.mkdtemp())
    try:
        make_errors(errors, scratch)
    finally:
        shutil.rmtree(scratch)
    print(
        f"wrote {len(list(OUT.glob('*.*')))} files in {OUT}, "
        f"{len(list(errors.glob('*.*')))} in {errors}"
    )
    print("metadata rows:", metadata_rows())


if __name__ == "__main__":
    main()
