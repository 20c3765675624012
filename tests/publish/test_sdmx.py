"""SDMX-CSV 2.0: written for the published observations, read back by an SDMX library."""

from __future__ import annotations

import pytest

from nremstats.core.errors import OptionError
from nremstats.core.model import DIMENSIONS
from nremstats.ingest import ingest_files
from nremstats.publish.sdmx import Structure, to_sdmx_csv
from nremstats.store.store import open_store
from tests.conftest import HEADER, write_csv

H = HEADER + ",obs_status,provider,definition"


@pytest.fixture
def store(tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        [
            H,
            "NLD,2022,VICTIMS_DETECTED,_T,_T,_T,_T,1334,,,PRESUMED",
            "NLD,2022,VICTIMS_DETECTED,F,_T,_T,_T,<5,,,PRESUMED",
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,..,,,",
            "NLD,2022,PERSONS_CONVICTED,_T,_T,_T,_T,12,,UNODC,",
        ],
    )
    assert ingest_files([path], tmp_path / "store").ok
    return open_store(tmp_path / "store")


def test_sdmx_csv_is_read_back_by_pysdmx(store, tmp_path):
    pysdmx_io = pytest.importorskip("pysdmx.io")
    out = tmp_path / "tip.csv"
    to_sdmx_csv(
        store.observations(), Structure("UNODC", "DF_TIP_NREM", "2.1"), output=out, suppress_below=1
    )
    message = pysdmx_io.read_sdmx(str(out))
    (dataset,) = message.data
    assert dataset.short_urn == "Dataflow=UNODC:DF_TIP_NREM(2.1)"
    rows = {(r["INDICATOR"], r["SEX"]): r for r in dataset.data.to_dict("records")}
    assert len(rows) == 3  # one provider per country-year: the national return, not UNODC's
    total = rows[("VICTIMS_DETECTED", "_T")]
    assert (str(total["OBS_VALUE"]), total["OBS_STATUS"], total["VICTIM_DEFINITION"]) == (
        "1334",
        "A",
        "PRESUMED",
    )
    small = rows[("VICTIMS_DETECTED", "F")]  # suppressed: empty value, status and bounds say why
    assert str(small["OBS_VALUE"]) in ("", "nan") and small["OBS_STATUS"] == "Q"
    assert (str(small["LOWER_BOUND"]), str(small["UPPER_BOUND"])) == ("0", "4")
    missing = rows[("PERSONS_CONVICTED", "_T")]
    assert str(missing["OBS_VALUE"]) in ("", "nan") and missing["OBS_STATUS"] == "L"
    assert missing["DATA_PROVIDER"] == "NLD"


def test_sdmx_prefer_and_bad_structure_ids(store):
    text = to_sdmx_csv(store.observations(), prefer="UNODC").text
    convicted = [line for line in text.splitlines() if "PERSONS_CONVICTED" in line]
    assert len(convicted) == 1 and ",12,A," in convicted[0] and convicted[0].endswith(",UNODC,")
    with pytest.raises(OptionError, match="sdmx-agency"):
        Structure("1BAD")
    with pytest.raises(OptionError, match="sdmx-version"):
        Structure(version="v1")


def test_cli_export_sdmx_csv(store):
    from tests.conftest import invoke

    result = invoke(
        "export", "--format", "sdmx-csv", "--sdmx-agency", "ESTAT", "--store", str(store.path)
    )
    assert result.exit_code == 0
    header, first, *_ = result.stdout.splitlines()
    assert header.startswith("STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,TIME_PERIOD")
    assert first.startswith("dataflow,ESTAT:DF_TIP(1.0),I,NLD,2022,")


def test_sdmx_applies_primary_and_secondary_suppression(tmp_path):
    from nremstats.publish.reading import hierarchy_relations

    from .test_disclosure import attacker_recovers

    path = write_csv(
        tmp_path / "s.csv",
        [
            H,
            *(
                f"NLD,2022,PERSONS_CONVICTED,{sex},_T,_T,_T,{v},,,"
                for sex, v in (("_T", 20), ("F", 3), ("M", 17), ("_O", 0), ("_U", 0))
            ),
        ],
    )
    assert ingest_files([path], tmp_path / "store").ok
    frame = open_store(tmp_path / "store").observations()
    keys = list(zip(*(frame[d] for d in DIMENSIONS), strict=True))
    frame.index = keys  # cells named by their codes, as the relations name them
    relations = hierarchy_relations(keys)
    result = to_sdmx_csv(frame.reset_index(drop=True))  # k = 5 from schemas/publication.yaml
    rows = {line.split(",")[6]: line.split(",") for line in result.text.splitlines()[1:]}
    assert rows["F"][10:13] == ["", "Q", "C"]  # a count under 5: primary
    hidden_sexes = [sex for sex, row in rows.items() if row[12] == "C"]
    secondary = [sex for sex in hidden_sexes if sex != "F"]
    assert len(secondary) == 1  # one more, or F = 20 - 17 - 0 - 0
    assert secondary != ["_O"] and secondary != ["_U"]  # never a 0 as the complement
    assert "D" not in {row[12] for row in rows.values()}  # the reason is never published
    assert "suppressed under 5: 1 (primary), 1 more" in result.summary()
    published = {
        i: (None if row["sex"] in ("F", *secondary) else int(row["value"]))
        for i, row in frame.iterrows()
    }
    hidden = [i for i, v in published.items() if v is None]
    assert not attacker_recovers(published, relations, hidden)
    # without the secondary suppression the attacker would find F: it was needed
    only_f = {i: (None if row["sex"] == "F" else int(row["value"])) for i, row in frame.iterrows()}
    f_key = [i for i, v in only_f.items() if v is None]
    assert attacker_recovers(only_f, relations, f_key) == set(f_key)


def test_sdmx_texts_are_inert_and_its_numbers_numbers(tmp_path):
    """A note (COMMENT) beginning with a character a spreadsheet evaluates gets ``'`` in
    front; a plain note, a note that is a number and every number stay as they are."""
    import csv
    import io

    import pandas as pd

    formulas = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    texts = [*formulas, "-5", "plain", "late\r=HYPERLINK(1)"]
    rows = [f"NLD,{2001 + n},PERSONS_CONVICTED,_T,_T,_T,_T,{10 + n},,," for n in range(9)]
    assert ingest_files([write_csv(tmp_path / "r.csv", [H, *rows])], tmp_path / "store").ok
    frame = open_store(tmp_path / "store").observations()
    frame = frame.assign(note=pd.array(texts, dtype="string"))
    text = to_sdmx_csv(frame, suppress_below=1).text
    header, *body = list(csv.reader(io.StringIO(text, newline="")))
    assert len(body) == len(texts)  # a carriage return started no row of its own
    got = {row[header.index("TIME_PERIOD")]: row for row in body}
    comments = [got[str(2001 + n)][header.index("COMMENT")] for n in range(len(texts))]
    assert comments == ["'" + t for t in formulas] + texts[len(formulas) :]
    values = [got[str(2001 + n)][header.index("OBS_VALUE")] for n in range(len(texts))]
    assert values == [str(10 + n) for n in range(len(texts))]
    starts = {cell[:1] for row in body for cell in row if cell != "-5"}
    assert not starts & set("=+-@\t\r")
