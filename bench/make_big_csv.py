"""Write a large, fully consistent canonical long CSV for the validation benchmark.

Every total equals the sum of its parts over sex, age, exploitation (with OTHER_FORMS) and
citizenship, persons convicted <= prosecuted <= suspected, and small leaf counts are written
``<5`` (2 %) or ``..`` (0.5 %), so a correct validator reports nothing: the time measured is
the checking, not the writing of findings.

Usage:  python bench/make_big_csv.py OUT.csv [--countries 45] [--years 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEX = ["F", "M", "_O", "_U"]
AGE = ["Y_LT18", "Y_GE18", "_U"]
FORMS = ["SEXUAL", "LABOUR", "CRIMINAL", "BEGGING", "_U"]
CIT = ["NAT", "FOR", "_U"]
INDICATORS = ["PERSONS_SUSPECTED", "PERSONS_PROSECUTED", "PERSONS_CONVICTED", "VICTIMS_DETECTED"]
SHARES = [1.0, 0.4, 0.15, 1.3]


def with_totals(leaves: np.ndarray, axis: int) -> np.ndarray:
    return np.concatenate([leaves, leaves.sum(axis=axis, keepdims=True)], axis=axis)


def make(countries: int, years: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    import pycountry

    codes = sorted(c.alpha_3 for c in pycountry.countries)[:countries]
    base = rng.integers(0, 40, size=(countries, years, len(SEX), len(AGE), len(FORMS), len(CIT)))
    arrays = [np.floor(base * share).astype("int64") for share in SHARES]
    leaves = np.stack(arrays, axis=2)  # country, year, indicator, sex, age, form, cit
    full = leaves
    for axis in (3, 4, 6):
        full = with_totals(full, axis)
    other = full[:, :, :, :, :, 2:4, :].sum(axis=5, keepdims=True)  # CRIMINAL + BEGGING
    full = np.concatenate([full, other, full.sum(axis=5, keepdims=True)], axis=5)
    sex, age = SEX + ["_T"], AGE + ["_T"]
    forms, cit = FORMS + ["OTHER_FORMS", "_T"], CIT + ["_T"]
    index = pd.MultiIndex.from_product(
        [codes, range(2011, 2011 + years), INDICATORS, sex, age, forms, cit],
        names=["country", "year", "indicator", "sex", "age", "exploitation", "citizenship"],
    )
    frame = index.to_frame(index=False)
    values = full.reshape(-1)
    text = values.astype(str).astype(object)
    leaf = ~(frame[["sex", "age", "exploitation", "citizenship"]] == "_T").any(axis=1).to_numpy()
    leaf &= (frame["exploitation"] != "OTHER_FORMS").to_numpy()
    draw = rng.random(len(frame))
    text[leaf & (values < 5) & (draw < 0.2)] = "<5"
    text[leaf & (draw > 0.995)] = ".."
    frame["value"] = text
    frame["definition"] = np.where(frame["indicator"] == "VICTIMS_DETECTED", "IDENTIFIED", "")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--countries", type=int, default=45)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    frame = make(args.countries, args.years)
    frame.to_csv(args.out, index=False)
    print(f"{len(frame):,} rows -> {args.out}")


if __name__ == "__main__":
    main()
