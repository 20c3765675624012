"""Write schemas/reference/population.csv: each country's total population by year.

The figures are the World Bank's SP.POP.TOTL (total population; its sources: UN Population
Division, World Population Prospects; UN Statistics Division; national statistical offices;
Eurostat; ...), as republished in CSV by the datasets/population data package (PDDL):
https://github.com/datasets/population, file ``data/population.csv`` (columns ``Country Name,
Country Code, Year, Value``). Only ISO 3166-1 countries (and Kosovo, XKX) and the years from
1990 are kept; regions and income groups are dropped.

Usage:  python scripts/make_population.py PATH/TO/population.csv [--commit SHA]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "schemas" / "reference" / "population.csv"
FIRST_YEAR = 1990


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="datasets/population's data/population.csv")
    args = parser.parse_args()
    countries = {country.alpha_3 for country in pycountry.countries} | {"XKX"}
    rows = []
    with args.source.open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            code, year = record["Country Code"], int(record["Year"])
            if code in countries and year >= FIRST_YEAR and record["Value"]:
                rows.append((code, year, int(float(record["Value"]))))
    rows.sort()
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["country", "year", "population"])
        writer.writerows(rows)
    print(f"{TARGET.relative_to(ROOT)}: {len(rows)} rows, {len({r[0] for r in rows})} countries")


if __name__ == "__main__":
    main()
