from __future__ import annotations

from nremstats.ingest import ingest_files
from nremstats.returns.pipeline import validate_files
from nremstats.store.store import open_store

from .conftest import HEADER, copy_sample, write_csv


def test_return_with_errors_is_rejected_whole_nothing_written(tmp_path, store_dir):
    good = write_csv(tmp_path / "good.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            HEADER,
            "BEL,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5",
            "BEL,2021,PERSONS_CONVICTED,F,_T,_T,_T,abc",
        ],
    )
    run = ingest_files([good, bad], store_dir)
    good_report, bad_report = run.files
    assert (good_report.rows_read, good_report.rows_stored, good_report.rows_rejected) == (1, 1, 0)
    assert (bad_report.rows_read, bad_report.rows_stored, bad_report.rows_rejected) == (2, 0, 2)
    assert bad_report.status == "invalid" and bad_report.submissions == []
    assert run.exit_code() == 1
    stored = open_store(store_dir).observations()
    assert set(stored["country"]) == {"NLD"}


def test_warnings_do_not_block_but_strict_fails(tmp_path, store_dir):
    path = write_csv(
        tmp_path / "w.csv",
        [
            HEADER,
            "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,9",
            "NLD,2021,PERSONS_CONVICTED,F,_T,_T,_T,5",
        ],
    )
    run = ingest_files([path], store_dir)
    assert run.files[0].status == "warnings" and run.files[0].rows_stored == 2
    assert run.exit_code() == 0 and run.exit_code(strict=True) == 1
    stored = open_store(store_dir)
    sub = stored.submissions()[0]
    assert sub.status == "warnings"
    assert [f.rule for f in stored.findings(sub.submission_id)] == ["BALANCE_TOTAL_EXCEEDS_PARTS"]


def test_rejected_batch_leaves_store_untouched(tmp_path, store_dir):
    ingest_files(
        [write_csv(tmp_path / "a.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])],
        store_dir,
    )
    before = sorted(p.name for p in store_dir.rglob("*"))
    manifest = (store_dir / "manifest.json").read_bytes()
    bad = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    run = ingest_files([bad], store_dir)
    assert not run.ok
    assert sorted(p.name for p in store_dir.rglob("*")) == before
    assert (store_dir / "manifest.json").read_bytes() == manifest


def test_validate_writes_nothing_and_reports_what_ingest_would(tmp_path):
    bad = copy_sample("errors/KEN_2023_bad_cells.xlsx", tmp_path)
    run = validate_files([bad])
    report = run.files[0]
    assert report.rows_stored == 0 and report.rows_rejected == report.rows_read > 0
    assert not (tmp_path / "nremstats-store").exists()


def test_submissions_one_per_provider_country_year(tmp_path, store_dir, samples):
    run = ingest_files([samples / "DEU_2021-2023_canonical.csv"], store_dir)
    assert [s.split("-")[:3] for s in run.files[0].submissions] == [
        ["DEU", "DEU", "2021"],
        ["DEU", "DEU", "2022"],
        ["DEU", "DEU", "2023"],
    ]


def test_provenance_on_every_observation(sample_store):
    obs = open_store(sample_store).observations()
    assert obs[["submission_id", "source_file", "source_sha256", "cell"]].notna().all().all()
    xlsx = obs[obs["source_file"].str.endswith(".xlsx")]
    assert xlsx["sheet"].notna().all()
    assert obs["source_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
