"""Foreign layouts: declarations, detection, the GLOTIP export (real file), label harmonization."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nremstats.core import labels
from nremstats.core.codes import country_codes
from nremstats.ingest import ingest_files
from nremstats.returns.layouts.declaration import LayoutFileError, load_layout
from nremstats.returns.layouts.detect import describe_layouts
from nremstats.returns.pipeline import CheckOptions, read_return
from nremstats.store.store import open_store
from tests.conftest import DATA, HEADER, SAMPLES, write_csv

GLOTIP = DATA / "unodc_data_glotip_2023-05-30.xlsx"
ROW_RULES = {
    "COUNTRY_NOT_ISO3",
    "LABEL_UNKNOWN",
    "LAYOUT_UNEXPECTED",
    "LAYOUT_ROW_SKIPPED",
    "KEY_REPEATED",
    "KEY_DUPLICATE",
    "VALUE_UNPARSEABLE",
    "QUARTERS_INCOMPLETE",
    "AGE_BAND_STRADDLES",
    "MAGNITUDE_IMPLAUSIBLE",
    "UNIT_NOT_COUNT",
    "PERIOD_NOT_A_YEAR",
    "YEAR_RANGE",
    "SUM_INCOMPLETE",
}


def rejected_by_rule(data) -> Counter:
    """Each rejected row counted once, under the first row-level finding that names it."""
    first: dict[int, str] = {}
    for finding in data.findings:
        if finding.rule in ROW_RULES:
            for cell in finding.cells:
                first.setdefault(int(re.sub(r"^[A-Z]+", "", cell)), finding.rule)
    rows = data.observations.loc[~data.observations["readable"], "row"]
    return Counter(first.get(int(row), "UNCOVERED") for row in rows)


@pytest.fixture(scope="module")
def glotip_xlsx():
    return read_return(GLOTIP)


@pytest.fixture(scope="module")
def glotip_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("glotip") / "store"
    run = ingest_files([GLOTIP], store)
    return store, run


def test_glotip_every_row_is_stored_or_rejected_with_a_finding(glotip_xlsx, glotip_store):
    data = glotip_xlsx
    assert data.layout is not None and data.layout.name == "glotip"  # detected, not asked
    assert data.rows_read == 46_556
    obs = data.observations
    assert int(obs["readable"].sum()) == 42_879  # figures
    assert int(obs.loc[obs["readable"], "sources"].sum()) == 42_880  # rows behind them
    assert rejected_by_rule(data) == {
        "LAYOUT_ROW_SKIPPED": 1_829,  # victims by country of repatriation
        "COUNTRY_NOT_ISO3": 983,  # SAM, SAF, CAR, CAS, EEU, MCA, MCN, blank, Aruba/Curacao
        # rows mapped to one key, not declared: different values, or different labels
        # ('Nationals' and 'Solomon Islands') - never stored once by value
        "KEY_DUPLICATE": 469,
        "KEY_REPEATED": 255,  # a row identical in every column to an earlier one
        "LABEL_UNKNOWN": 139,  # citizenship labels naming no single code
        "MAGNITUDE_IMPLAUSIBLE": 1,  # PAK 2011 offences 11,478 (other years' median 15)
    }
    report = glotip_store[1].files[0]
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (46_556, 42_880, 3_676)
    non_iso = {f.text for f in data.findings if f.rule == "COUNTRY_NOT_ISO3"}
    assert {"SAM", "CAR", "Aruba/Curacao", ""} <= non_iso


def test_glotip_values_checked_by_hand(glotip_store):
    store, _ = glotip_store
    obs = open_store(store).observations(countries={"NLD", "AGO"})
    totals = obs[
        (obs["sex"] == "_T")
        & (obs["age"] == "_T")
        & (obs["exploitation"] == "_T")
        & (obs["citizenship"] == "_T")
    ]

    def one(frame, **key):
        for name, value in key.items():
            frame = frame[frame[name] == value]
        assert len(frame) == 1, key
        return frame.iloc[0]

    nld = one(totals, country="NLD", year=2019, indicator="VICTIMS_DETECTED")
    assert (nld["value"], nld["obs_status"], nld["provider"]) == (1334, "A", "UNODC")  # '1,334'
    assert (nld["sheet"], nld["cell"]) == ("data_glotip_1", "L26762")
    ago = one(totals, country="AGO", year=2017, indicator="PERSONS_CONVICTED")
    assert (ago["value"], ago["cell"]) == (6, "L70")
    small = one(
        obs,
        country="AGO",
        year=2017,
        indicator="PERSONS_CONVICTED",
        sex="F",
        age="Y_LT18",
        exploitation="_T",
        citizenship="_T",
    )
    assert small["value"] is None or str(small["value"]) == "<NA>"
    assert (small["obs_status"], small["lower"], small["upper"]) == ("Q", 0, 4)  # '<5'


def test_glotip_submissions_per_country_year_beside_national_returns(glotip_store, tmp_path):
    store, run = glotip_store
    subs = open_store(store).submissions()
    assert (
        len(subs) == len(run.files[0].submissions) == len({(s.country, s.years[0]) for s in subs})
    )
    assert {s.provider for s in subs} == {"UNODC"} and {s.layout for s in subs} == {"glotip"}
    assert {s.file for s in subs} == {GLOTIP.name} and len({s.sha256 for s in subs}) == 1
    national = write_csv(tmp_path / "nld.csv", [HEADER, "NLD,2019,PERSONS_CONVICTED,_T,_T,_T,_T,9"])
    copy = tmp_path / "store"
    import shutil

    shutil.copytree(store, copy)
    assert ingest_files([national], copy).ok
    both = open_store(copy).observations(countries={"NLD"})
    convicted = both[
        (both["year"] == 2019)
        & (both["indicator"] == "PERSONS_CONVICTED")
        & (both["sex"] == "_T")
        & (both["age"] == "_T")
        & (both["exploitation"] == "_T")
        & (both["citizenship"] == "_T")
    ]
    assert set(convicted["provider"]) == {"NLD", "UNODC"}  # kept side by side
    again = ingest_files([GLOTIP], copy)  # identical bytes: nothing new
    assert again.files[0].already_stored and len(open_store(copy).submissions()) == len(subs) + 1


def _as_csv(path: Path, preamble: bool) -> Path:
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(GLOTIP)).get_sheet_by_index(0)
    rows = rows.to_python()
    out = path / ("with_preamble.csv" if preamble else "plain.csv")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows if preamble else rows[2:]:
            writer.writerow([int(v) if isinstance(v, float) and v.is_integer() else v for v in row])
    return out


@pytest.mark.parametrize("preamble", [True, False])
def test_glotip_csv_with_or_without_preamble_reads_as_the_xlsx(glotip_xlsx, tmp_path, preamble):
    data = read_return(_as_csv(tmp_path, preamble))
    assert data.layout.name == "glotip" and data.rows_read == 46_556
    key = ["country", "year", "indicator", "sex", "age", "exploitation", "citizenship"]
    columns = [*key, "value", "obs_status", "lower", "upper", "readable"]

    def frame(d):
        return d.observations[columns].sort_values(key + ["value"]).reset_index(drop=True)

    assert frame(data).equals(frame(glotip_xlsx))
    assert rejected_by_rule(data) == rejected_by_rule(glotip_xlsx)


def test_unknown_label_names_closest_labels_and_the_line_to_add(glotip_xlsx):
    finding = next(
        f for f in glotip_xlsx.findings if f.rule == "LABEL_UNKNOWN" and f.text == "Amercias"
    )
    assert "Closest known: 'American'" in finding.message  # labels as written, not folded
    assert '"Amercias": CODE' in finding.message
    # a shipped layout is not edited: the user's own layout file extends it
    assert "'extends: glotip'" in finding.message and "glotip.yaml" not in finding.message
    assert finding.sheet == "data_glotip_1" and finding.cell.startswith("G")  # Category column


def test_layouts_listed(tmp_path):
    names = [entry["layout"] for entry in describe_layouts()]
    assert "glotip" in names
    assert all(Path(entry["file"]).is_file() for entry in describe_layouts())


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "layout: x\nprovider: X\ncolumns: {country: A, year: B, value: C}\nshape: long\n"
            "colour: red\n",
            5,
            "unknown key 'colour'",
        ),
        (
            "layout: x\nprovider: X\ncolumns: {country: A, year: B, value: C}\nlabels:\n"
            "  sex:\n    Femmes: F\n    Hommes: MALE\n",
            7,
            "'MALE' is not a sex code",
        ),
        (
            "layout: x\nprovider: X\ncolumns: {country: A, year: B, value: C}\nrules:\n"
            "  NO_SUCH_RULE: off\n",
            5,
            "unknown rule",
        ),
        ("layout: x\nprovider: X\ncolumns: {country: A, year: B}\n", 3, "columns.value"),
    ],
)
def test_bad_layout_files_name_the_line(tmp_path, text, line, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutFileError) as caught:
        load_layout(path)
    assert f"line {line}" in str(caught.value) and words in str(caught.value)


def test_unknown_layout_name_is_a_usage_error_before_anything_is_written(tmp_path):
    from tests.conftest import invoke

    data = write_csv(tmp_path / "r.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])
    result = invoke("ingest", str(data), "--layout", "nope", "--store", str(tmp_path / "s"))
    from nremstats.core.codes import layout_names

    assert result.exit_code == 2 and f"Known layouts: {', '.join(layout_names())}" in result.stderr
    assert not (tmp_path / "s").exists()


def test_cli_layouts_and_layout_mismatch(tmp_path):
    from tests.conftest import invoke

    listed = json.loads(invoke("layouts", "--format", "json").stdout)
    assert {e["layout"]: e["provider"] for e in listed["layouts"]}["glotip"] == "UNODC"
    data = write_csv(tmp_path / "r.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])
    result = invoke("validate", str(data), "--layout", "glotip", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["rule"] == "STRUCTURE_LAYOUT_MISMATCH"


# --- label harmonization -------------------------------------------------------------------

labels_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(labels_text)
def test_fold_is_idempotent(text):
    assert labels.fold(labels.fold(text)) == labels.fold(text)


@given(st.sampled_from(sorted(country_codes())))
def test_country_codes_map_to_themselves_and_names_to_the_code(code):
    assert labels.country_code(code) == code
    assert labels.country_code(code.lower()) == code
    from nremstats.core.codes import country_name

    name = country_name(code)
    if name:
        assert labels.country_code(name) == code


@given(st.lists(labels_text, min_size=1, max_size=5))
@settings(max_examples=40, deadline=None)
def test_no_citizenship_label_is_silently_dropped(tmp_path_factory, texts):
    """Whatever the labels, every row is stored or rejected with a finding on its row."""
    from tests.returns.test_rules import GLOTIP_HEADER, g

    path = tmp_path_factory.mktemp("labels") / "g.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GLOTIP_HEADER)
        for text in texts:
            writer.writerow(g(dim="by citizenship", cat=text.replace("\x00", "")))
    data = read_return(path, CheckOptions(layout=load_layout("glotip")))
    assert data.rows_read == len(texts)  # a row with a blank label is still a row read
    counted = rejected_by_rule(data)
    assert "UNCOVERED" not in counted
    stored = int(data.observations["readable"].sum())
    assert stored + sum(counted.values()) == data.rows_read


def test_demonyms_and_repaired_text_map_to_countries():
    assert labels.country_code("Albanian") == "ALB"
    assert labels.country_code("TÃ¼rkiye") == "TUR"  # UTF-8 read as Latin-1
    assert labels.country_code("Venezuela (Bolivarian Republic of)") == "VEN"
    assert labels.country_code("Sudafrica") == "ZAF"
    assert labels.country_code("Dominican") is None  # two countries: never guessed
    assert labels.country_code("EU-28 others") is None


# --- uk-nrm --------------------------------------------------------------------------------

NRM = DATA / "uk_nrm_referrals_longitudinal.csv"
NRM_NGO = DATA / "uk_nrm_referrals_ngo_2023_q4.csv"


def test_uk_nrm_quarters_are_summed_to_years_only_when_all_four_are_there():
    data = read_return(NRM)
    assert data.layout.name == "uk-nrm" and data.rows_read == 885
    obs = data.observations[data.observations["readable"]]
    assert len(obs) == 42  # 2010-2023 x three ages; 2009 starts in Q2
    assert set(obs["year"]) == set(range(2010, 2024))
    assert set(obs["provider"]) == {"UKHO"} and set(obs["country"]) == {"GBR"}
    assert set(obs["indicator"]) == {"VICTIMS_DETECTED"} and set(obs["definition"]) == {"PRESUMED"}
    adults = obs[(obs["year"] == 2010) & (obs["age"] == "Y_GE18")].iloc[0]
    # by hand, lines 51, 66, 81 and 96 of the file: 130 + 101 + 149 + 155
    assert int(adults["value"]) == 535 and adults["cell"] == "E51"
    assert adults["note"] == "sum of Q1-Q4 (E51, E66, E81, E96)"
    incomplete = [f for f in data.findings if f.rule == "QUARTERS_INCOMPLETE"]
    assert (
        len(incomplete) == 1 and len(incomplete[0].cells) == 9 and "2009" in incomplete[0].message
    )
    skipped = sum(len(f.cells) for f in data.findings if f.rule == "LAYOUT_ROW_SKIPPED")
    assert skipped == 4 * 177  # every location but Total
    assert 42 * 4 + 9 + skipped == 885  # each row summed, rejected or skipped


def test_uk_nrm_one_quarter_file_reads_its_period_from_the_name_and_stores_nothing(tmp_path):
    data = read_return(NRM_NGO)
    assert data.layout.name == "uk-nrm" and data.rows_read == 9_550
    assert not data.observations["readable"].any()
    assert not data.ok  # nothing to store: the year needs Q1-Q3 too
    rules = Counter(f.rule for f in data.findings)
    assert rules["QUARTERS_INCOMPLETE"] == 1 and rules["LAYOUT_ROW_SKIPPED"] == 7
    dual = {f.text for f in data.findings if f.rule == "LABEL_UNKNOWN"}
    assert dual == {"Nigerian UK", "Eritrean Ethiopian", "Dominican"}  # never guessed
    renamed = tmp_path / "nrm_referrals_ngo.csv"
    renamed.write_bytes(NRM_NGO.read_bytes())
    assert read_return(renamed).findings[0].rule == "STRUCTURE_LAYOUT_MISMATCH"


def test_uk_nrm_labels_demonyms_combinations_and_own_nationals(tmp_path):
    header = "Year,Quarter,Exploitation type,Age at exploitation,Gender,Nationality,People"
    lines = [header]
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        lines += [
            f"2022,{quarter},Sexual & Criminal,Adult (18 or over),Female,Albanian,2",
            f"2022,{quarter},Domestic,Child (17 or under),Male,UK,1",
            f"2022,{quarter},Labour,Adult (18 or over),Male,Nigerian UK,1",
        ]
    lines.append("2022,Q1,Criminal,Child (17 or under),Male,Vietnamese,3")  # one quarter only
    path = write_csv(tmp_path / "nrm_2022.csv", lines)
    data = read_return(path)
    obs = data.observations[data.observations["readable"]]
    got = {(r.exploitation, r.age, r.sex, r.citizenship): int(r.value) for r in obs.itertuples()}
    assert got == {("MIXED", "Y_GE18", "F", "ALB"): 8, ("LABOUR", "Y_LT18", "M", "NAT"): 4}
    assert {f.rule for f in data.findings} >= {"LABEL_UNKNOWN", "QUARTERS_INCOMPLETE"}
    report = ingest_files([path], tmp_path / "store").files[0]
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (13, 8, 5)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0--8", "Y_LT18"),
        ("9--17", "Y_LT18"),
        ("18--20", "Y_GE18"),
        ("48+", "Y_GE18"),
        ("Child (17 or under)", "Y_LT18"),
        ("under 18", "Y_LT18"),
        ("18 años y más", "Y_GE18"),
        ("15-24", None),
        ("12-18", None),
        ("Total", None),
    ],
)
def test_age_bands_map_only_when_they_nest(text, code):
    assert labels.age_code(text) == code


@given(st.integers(0, 99), st.integers(0, 99))
def test_an_age_band_is_never_mapped_across_18(low, high):
    code = labels.age_code(f"{low}-{high}")
    if code == "Y_LT18":
        assert low <= high < 18
    elif code == "Y_GE18":
        assert low >= 18
    else:
        assert low < 18 <= high or low > high


# --- eurostat-tsv --------------------------------------------------------------------------

ESTAT = DATA / "eurostat_crim_thb_sample.tsv"


def test_eurostat_tsv_packed_keys_iso2_codes_and_flags():
    data = read_return(ESTAT)
    assert data.layout.name == "eurostat-tsv" and data.rows_read == 20  # filled value cells
    obs = data.observations.set_index(["country", "year", "indicator", "sex"])
    assert set(data.observations["provider"]) == {"ESTAT"}

    def at(*key):
        return obs.loc[key]

    assert int(at("AUT", 2019, "VICTIMS_DETECTED", "_T")["value"]) == 123
    assert at("AUT", 2019, "VICTIMS_DETECTED", "_T")["cell"] == "B2"
    assert at("AUT", 2020, "VICTIMS_DETECTED", "_T")[["obs_status", "conf_status"]].tolist() == [
        "Q",
        "C",
    ]  # ': c'
    assert at("AUT", 2021, "VICTIMS_DETECTED", "_T")["obs_status"] == "P"  # '45 p'
    assert at("AUT", 2020, "VICTIMS_DETECTED", "F")["obs_status"] == "L"  # ':'
    flagged = at("AUT", 2021, "VICTIMS_DETECTED", "F")
    assert int(flagged["value"]) == 30 and "definition differs" in flagged["note"]  # '30 d'
    assert at("GRC", 2020, "VICTIMS_DETECTED", "_T")["obs_status"] == "M"  # EL, ': z'
    assert int(at("GBR", 2020, "VICTIMS_DETECTED", "_T")["value"]) == 310  # UK
    assert at("AUT", 2019, "PERSONS_CONVICTED", "_T")["definition"] is pd.NA or pd.isna(
        at("AUT", 2019, "PERSONS_CONVICTED", "_T")["definition"]
    )
    assert rejected_by_rule(data) == {"COUNTRY_NOT_ISO3": 3, "VALUE_UNPARSEABLE": 1}


# --- report once, share many -------------------------------------------------------------


def _national_store(tmp_path):
    store = tmp_path / "national"
    samples = SAMPLES
    assert ingest_files(sorted(samples.glob("*.xlsx")) + sorted(samples.glob("*.csv")), store).ok
    return store


COMPARED = [
    "country", "year", "indicator", "sex", "age", "exploitation", "citizenship", "value",
    "obs_status", "lower", "upper",
]  # fmt: skip


def _same(left, right) -> bool:
    def norm(frame):
        frame = frame[COMPARED].copy()
        for name in COMPARED:
            column = frame[name]
            if name in ("year", "value", "lower", "upper"):
                column = pd.to_numeric(column).astype("Int64")
            frame[name] = column.astype("string")
        return frame.sort_values(COMPARED).reset_index(drop=True)

    return norm(left).equals(norm(right))


@pytest.mark.parametrize(("layout", "suffix"), [("glotip", "csv"), ("eurostat-tsv", "tsv")])
def test_export_in_a_layout_reads_back_as_the_same_observations(tmp_path, layout, suffix):
    from nremstats.publish.export_layout import export_in_layout

    national = open_store(_national_store(tmp_path)).observations()
    out = tmp_path / f"export.{suffix}"
    result = export_in_layout(national, layout, output=out)
    assert result.rows > 0 and result.skipped > 0  # what the layout cannot hold is counted
    again = read_return(out)
    assert again.layout.name == layout  # detected
    back = again.observations[again.observations["readable"]]
    # every observation the layout can hold, and only those, comes back unchanged
    holdable = national.merge(back[COMPARED[:7]], on=COMPARED[:7])
    assert len(holdable) == len(back) == len(national) - result.skipped
    assert _same(holdable, back)
    if layout == "eurostat-tsv":  # victims on another definition than Eurostat's are flagged
        victims = back[back["indicator"] == "VICTIMS_DETECTED"]
        assert victims["note"].str.contains("definition differs").all()


def test_export_layout_cli(tmp_path):
    from tests.conftest import invoke

    store = _national_store(tmp_path)
    result = invoke("export", "--layout", "eurostat-tsv", "--country", "NLD", "--store", str(store))
    assert result.exit_code == 0 and result.stdout.startswith("freq,unit,leg_stat")
    assert all(",NL\t" in line for line in result.stdout.splitlines()[1:])
    assert "left out" in result.stderr
    bad = invoke("export", "--layout", "uk-nrm", "--store", str(store))
    assert bad.exit_code == 2 and "writes only the layouts" in bad.stderr
    both = invoke("export", "--layout", "glotip", "--long", "--store", str(store))
    assert both.exit_code == 2


# --- htcds: case records ---------------------------------------------------------------------

HTCDS = DATA / "htcds_excel_template_single_select_validation_v2.0.xlsx"


def _cases_workbook(tmp_path, cases):
    """The real HTCDS Excel template with case rows written under its two header rows."""
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():  # its data-validation extension is dropped: no matter
        warnings.simplefilter("ignore", UserWarning)
        wb = load_workbook(HTCDS)
    ws = wb["Case Sheet"]
    names = [c.value for c in ws[1]]
    for offset, case in enumerate(cases):
        for field, value in case.items():
            ws.cell(3 + offset, names.index(field) + 1).value = value
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    return path


def _extension(tmp_path, **extra):
    path = tmp_path / "htcds-nld.yaml"
    lines = ["extends: htcds", "layout: htcds-nld", "fixed: {country: NLD}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_htcds_template_is_recognised_and_asks_for_the_country():
    data = read_return(HTCDS)
    assert data.findings[0].rule == "STRUCTURE_LAYOUT_MISMATCH"
    assert "extends: htcds" in data.findings[0].message


def test_htcds_cases_are_counted_with_small_counts_as_ranges(tmp_path):
    import datetime as dt

    def case(sex, born, forms, citizenship, status="Actual victim of trafficking"):
        return {
            "prs_Gender": sex,
            "prs_Birthdate": born,
            "vic_TypeOfExploitation": forms,
            "prs_Citizenship": citizenship,
            "vic_TraffickingStatus": status,
            "cas_IncomingReferralDate": dt.datetime(2023, 5, 1),
        }

    cases = (
        [case("Feminine", dt.datetime(1990, 1, 1), "Sexual exploitation", "RO")] * 6
        + [case("Masculine", dt.datetime(2010, 1, 1), "Forced labour;Forced begging", "NL")] * 2
        + [case("Masculine", dt.datetime(1980, 6, 2), "Forced labour", "Netherlands")] * 5
        + [
            case(
                "Feminine",
                dt.datetime(1995, 1, 1),
                "Sexual exploitation",
                "RO",
                status="Not a victim of trafficking",
            )
        ]
        + [case("Feminine", dt.datetime(1995, 1, 1), "Astrology", "RO")]
    )
    path = _cases_workbook(tmp_path, cases)
    data = read_return(path, CheckOptions(layout=load_layout(_extension(tmp_path))))
    assert data.rows_read == 15
    obs = data.observations[data.observations["readable"]]
    assert set(obs["country"]) == {"NLD"} and set(obs["provider"]) == {"NLD"}
    assert set(obs["definition"]) == {"IDENTIFIED"} and set(obs["year"]) == {2023}

    def cell(**key):
        rows = obs
        for dim in ("sex", "age", "exploitation", "citizenship"):
            rows = rows[rows[dim] == key.get(dim, "_T")]
        assert len(rows) == 1, key
        return rows.iloc[0]

    assert int(cell()["value"]) == 13  # every counted person
    assert int(cell(sex="F")["value"]) == 6 and int(cell(sex="M")["value"]) == 7
    assert int(cell(citizenship="ROU")["value"]) == 6 and int(cell(citizenship="FOR")["value"]) == 6
    assert int(cell(citizenship="NAT")["value"]) == 7  # NL and Netherlands: the country's own
    assert int(cell(age="Y_GE18")["value"]) == 11
    small = cell(exploitation="MIXED")  # two children with two forms: fewer than 5
    assert small["obs_status"] == "Q" and (small["lower"], small["upper"]) == (1, 4)
    assert pd.isna(small["value"])
    assert cell(age="Y_LT18")["obs_status"] == "Q"
    rules = {f.rule: f for f in data.findings}
    assert "LAYOUT_ROW_SKIPPED" in rules and "LABEL_UNKNOWN" in rules
    assert rules["LABEL_UNKNOWN"].text == "Astrology"
    assert int((~data.observations["readable"]).sum()) == 2  # the two persons not counted
    five = read_return(
        path, CheckOptions(layout=load_layout(_extension(tmp_path, cases="{min_count: 2}")))
    )
    mixed = five.observations[
        (five.observations["exploitation"] == "MIXED") & (five.observations["sex"] == "_T")
    ]
    assert int(mixed.iloc[0]["value"]) == 2  # k is configurable


# --- nremstats map: a draft layout for an unknown file ---------------------------------------


def test_map_drafts_a_layout_and_lists_what_it_could_not_decide(tmp_path):
    from nremstats.returns.layouts.draft import draft_layout

    plain = _as_csv(tmp_path, preamble=False)
    small = tmp_path / "ministry.csv"
    small.write_text(
        "\n".join(plain.read_text(encoding="utf-8").splitlines()[:3000]) + "\n", encoding="utf-8"
    )
    draft = draft_layout(str(small))
    assert draft.columns | {"country": "Iso3_code"} == draft.columns  # found by the codes
    for field_, column in {
        "year": "Year",
        "value": "txtVALUE",
        "sex": "Sex",
        "age": "Age",
        "indicator": "Indicator",
    }.items():
        assert draft.columns[field_] == column
    assert '"Detected trafficking victims": VICTIMS_DETECTED' in draft.text
    assert any("Unit of measurement" in item for item in draft.undecided)
    path = tmp_path / "ministry.yaml"
    path.write_text(draft.text, encoding="utf-8")
    layout = load_layout(path)  # the draft is a valid layout file
    data = read_return(small, CheckOptions(layout=layout))
    assert data.rows_read == 2999  # read with the draft; the labels left TODO are findings
    assert "LABEL_UNKNOWN" in {f.rule for f in data.findings}


def test_map_cli_on_a_table_without_country(tmp_path):
    from tests.conftest import invoke

    lines = NRM.read_text(encoding="utf-8").splitlines()[:40]
    table = write_csv(tmp_path / "referrals.csv", lines)
    result = invoke("map", str(table), "-o", str(tmp_path / "draft.yaml"))
    assert result.exit_code == 0
    assert "undecided: no column found for country" in result.stderr
    text = (tmp_path / "draft.yaml").read_text(encoding="utf-8")
    assert '"Adult (18 or over)": Y_GE18' in text and "# country: TODO" in text
    with pytest.raises(LayoutFileError, match="columns.country is required"):
        load_layout(tmp_path / "draft.yaml")  # until the country is filled in


# --- a ministry's own wide table: two header rows, hierarchical labels, a dimension across ---


def test_wide_table_with_two_header_rows_and_labels_filled_down(tmp_path):
    layout = tmp_path / "ministry.yaml"
    layout.write_text(
        "layout: ministry\nprovider: national\nshape: wide\n"
        "fixed: {country: NLD, definition: PRESUMED}\n"
        "header: {find: [Year, Indicator], rows: 2}\nfill_down: [Year]\n"
        "columns: {year: Year, indicator: Indicator}\n"
        "across: {field: sex, columns: [Sex - Female, Sex - Male, Sex - Total]}\n"
        "labels:\n  sex: {Sex - Female: F, Sex - Male: M, Sex - Total: _T}\n"
        "  indicator: {Victims: VICTIMS_DETECTED, Convicted: PERSONS_CONVICTED}\n",
        encoding="utf-8",
    )
    table = write_csv(
        tmp_path / "ministry.csv",
        [
            "Ministry of the Interior: trafficking 2022-2023,,,,",
            "Year,Indicator,Sex,,",
            ",,Female,Male,Total",
            "2022,Victims,12,30,42",
            ",Convicted,1,4,5",
            "2023,Victims,15,28,43",
        ],
    )
    data = read_return(table, CheckOptions(layout=load_layout(layout)))
    assert data.ok and data.rows_read == 9  # filled value cells
    obs = data.observations
    got = {(int(r.year), r.indicator, r.sex): (int(r.value), r.cell) for r in obs.itertuples()}
    assert got[(2022, "PERSONS_CONVICTED", "M")] == (4, "D5")  # its year filled down
    assert got[(2023, "VICTIMS_DETECTED", "_T")] == (43, "E6")
    assert set(obs["provider"]) == {"NLD"}
    victims = obs[obs["indicator"] == "VICTIMS_DETECTED"]
    assert set(victims["definition"]) == {"PRESUMED"}
    assert obs[obs["indicator"] != "VICTIMS_DETECTED"]["definition"].isna().all()


GLOTIP_2025 = DATA / "unodc_data_glotip_2025-04-14.xlsx"


@pytest.fixture(scope="module")
def glotip_2025():
    return read_return(GLOTIP_2025)


def test_glotip_2025_every_row_is_stored_or_rejected_with_its_reason(glotip_2025):
    from nremstats.returns.pipeline import file_result

    data = glotip_2025
    assert data.layout is not None and data.layout.name == "glotip"
    result = file_result(data)
    obs = data.observations
    stored = int(obs.loc[obs["readable"], "sources"].sum())
    assert (result.rows_read, stored, result.rows_rejected) == (58_769, 55_447, 3_322)
    assert rejected_by_rule(data) == {
        "LAYOUT_ROW_SKIPPED": 1_918,  # victims by country of repatriation
        "KEY_DUPLICATE": 680,  # rows mapped to one figure, not declared
        "LABEL_UNKNOWN": 342,  # typos ('Nigerin'), regions, questionnaire labels ('Q6.1_2s_2019')
        "KEY_REPEATED": 336,  # identical in every column to an earlier row
        "COUNTRY_NOT_ISO3": 26,  # Sark, without a code
        "MAGNITUDE_IMPLAUSIBLE": 20,  # questionnaire codes (6,112,019) and their totals
    }


def test_glotip_2025_stores_no_questionnaire_code_and_reads_common_names(glotip_2025):
    from python_calamine import CalamineWorkbook

    obs = glotip_2025.observations
    kept = obs[obs["readable"]]
    rows = CalamineWorkbook.from_path(str(GLOTIP_2025)).get_sheet_by_index(0).to_python()
    head = next(i for i, row in enumerate(rows) if "txtVALUE" in row)
    value, category = rows[head].index("txtVALUE"), rows[head].index("Category")
    codes = {
        i + 1 for i, row in enumerate(rows) if re.fullmatch(r"6\d?,1\d\d,0\d\d", str(row[value]))
    }
    assert len(codes) >= 40  # the file holds them...
    assert not codes & set(kept["row"])  # ...and none is stored
    assert kept["value"].max() < 100_000
    common = {"Turkey", "Ivory Coast", "Nigerians", "Germans", "Maltese", "Singaporean", "Cypriot"}
    present = {str(row[category]).strip() for row in rows[head + 1 :]}
    assert common <= present
    unknown = {f.text for f in glotip_2025.findings if f.rule == "LABEL_UNKNOWN"}
    assert not common & unknown
    turkey = [i + 1 for i, row in enumerate(rows) if str(row[category]).strip() == "Turkey"]
    read = kept[kept["row"].isin(turkey)]
    assert len(read) > 0
    # Turkish victims abroad, or nationals in Türkiye's own return
    assert (
        read["citizenship"] == read["country"].map(lambda c: "NAT" if c == "TUR" else "TUR")
    ).all()
