"""Names are data, never paths (issue 15): a layout name, a provider, a country or a
submission id never makes nremstats write, move, remove or read a file outside the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nremstats.core.errors import StorePathError
from nremstats.ingest import ingest_files
from nremstats.returns.layouts.declaration import load_layout
from nremstats.store.manifest import MANIFEST
from nremstats.store.store import open_store
from tests.conftest import HEADER, invoke, write_csv

LAYOUT = (
    "provider: MINX\n"
    "compilation: true\n"  # a compilation's data files are named by the layout
    "fixed: {country: NLD, definition: PRESUMED}\n"
    "columns: {year: year, indicator: indicator, value: value}\n"
    "labels: {indicator: {Victims: VICTIMS_DETECTED}}\n"
    "layout: {name}\n"
)


def files_under(root: Path, leave_out: Path) -> dict[Path, bytes]:
    """Every file under ``root`` but those in ``leave_out``, with its bytes."""
    return {
        path: path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and leave_out not in path.parents
    }


def test_ingest_with_hostile_names_writes_nothing_outside_the_store(tmp_path, monkeypatch):
    work = tmp_path / "work"
    store = work / "store"
    inputs = work / "in"
    inputs.mkdir(parents=True)
    (tmp_path / "abs").mkdir()  # where an absolute name would write
    monkeypatch.chdir(inputs)
    table = write_csv(inputs / "ministry.csv", ["year,indicator,value", "2022,Victims,12"])
    names = {
        "dotdot": "../../escaped",
        "up": "../escaped",
        "slash": "ministry/2023",
        "absolute": f"{tmp_path}/abs/escaped",
        "up only": "..",
        "hidden": ".hidden",
        "backslash": "..\\\\escaped",
    }
    for key, name in names.items():
        path = inputs / f"{key.replace(' ', '_')}.yaml"
        path.write_text(LAYOUT.replace("{name}", json.dumps(name)), encoding="utf-8")
    provider = write_csv(
        inputs / "provider.csv",
        [f"{HEADER},provider", "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5,../../x"],
    )
    (inputs / "fine.yaml").write_text(LAYOUT.replace("{name}", "fine"), encoding="utf-8")
    before = files_under(tmp_path, store)

    for key in names:
        layout = inputs / f"{key.replace(' ', '_')}.yaml"
        result = invoke("ingest", str(table), "--layout", str(layout), "--store", str(store))
        said = " ".join(result.stderr.split())
        assert result.exit_code == 2, (key, result.output)
        assert f"{layout}, line 6: layout" in said and "is not a plain name" in said, said
    result = invoke("ingest", str(provider), "--store", str(store), "--format", "json")
    assert result.exit_code == 1  # a provider that is not a code: the return is rejected
    assert json.loads(result.stdout)["findings"][0]["rule"] == "CODE_UNKNOWN"
    # past the layout file's checks (a Layout made in code): the store refuses the name
    for name in names.values():
        layout = load_layout(inputs / "fine.yaml")
        layout.name = name
        with pytest.raises(StorePathError, match="would lead outside"):
            ingest_files([table], store, layout=layout)

    assert files_under(tmp_path, store) == before  # nothing written, changed or removed
    written = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
    assert [str(p) for p in written] == [".lock", "nremstats-store.json"]
    assert not list(store.glob("observations/*")) and not list(store.glob("findings/*"))


def test_a_manifest_edited_to_name_files_outside_is_refused_and_repair_leaves_them(tmp_path):
    store = tmp_path / "store"
    for name, value in (("a.csv", 5), ("b.csv", 6)):
        path = write_csv(
            tmp_path / name, [HEADER, f"NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,{value}"]
        )
        assert ingest_files([path], store).ok
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"not the store's")
    (tmp_path / "victim.json").write_text("[]")
    manifest = json.loads((store / MANIFEST).read_text())
    manifest["submissions"][1]["data"] = "../../victim"  # observations/../../victim.parquet
    (store / MANIFEST).write_text(json.dumps(manifest))

    result = invoke("export", "--long", "--store", str(store))
    assert result.exit_code == 2 and "would lead outside" in " ".join(result.stderr.split())
    result = invoke("verify", "--repair", "--store", str(store), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and any(
        "would lead outside" in p["message"] for p in report["problems"]
    )
    assert victim.read_bytes() == b"not the store's" and (tmp_path / "victim.json").exists()
    assert not (store / "quarantine").exists() or not list((store / "quarantine").iterdir())


def test_a_compacted_file_named_outside_is_never_read_nor_removed(tmp_path):
    store = tmp_path / "store"
    path = write_csv(tmp_path / "a.csv", [HEADER, "NLD,2021,PERSONS_CONVICTED,_T,_T,_T,_T,5"])
    assert ingest_files([path], store).ok
    assert invoke("compact", "--store", str(store)).exit_code == 0
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"not the store's")
    manifest = json.loads((store / MANIFEST).read_text())
    manifest["compacted"]["file"] = "compact/../../victim.parquet"
    manifest["compacted"]["totals_file"] = "../victim.parquet"
    (store / MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(StorePathError, match="outside the store's folders"):
        open_store(store).observations()
    result = invoke("verify", "--repair", "--store", str(store))
    assert result.exit_code == 0, result.output  # rebuilt from the submissions' own files
    assert victim.read_bytes() == b"not the store's"
    assert open_store(store).observations()["value"].tolist() == [5]
