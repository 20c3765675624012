from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# the machines that run the tests are shared and noisy: a time limit per example fails
# tests at random (a run that took 330 ms instead of 200 ms), so there is none
settings.register_profile("nremstats", deadline=None)
settings.load_profile("nremstats")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding every good sample return (built once)."""
    from nremstats.demo import sample_files
    from nremstats.ingest import ingest_files

    path = tmp_path_factory.mktemp("sample") / "store"
    run = ingest_files(sample_files(SAMPLES), path)
    assert run.ok
    return path


@pytest.fixture
def blank_template(tmp_path: Path) -> Path:
    from nremstats.template.workbook import write_template

    return write_template(tmp_path / "blank.xlsx", "NLD", 2023, "en")


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def copy_sample(name: str, tmp_path: Path) -> Path:
    target = tmp_path / Path(name).name
    shutil.copy(SAMPLES / name, target)
    return target


HEADER = "country,year,indicator,sex,age,exploitation,citizenship,value"


def invoke(*args: str, env: dict | None = None):
    """Run the command line in-process (Typer's CliRunner), stdout and stderr apart."""
    from typer.testing import CliRunner

    from nremstats.cli.main import app

    environment = {"NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return CliRunner().invoke(app, list(args), env=environment)


def golden(name: str, text: str, update: bool) -> str:
    """The golden file ``name`` (rewritten with ``text`` under ``--update-golden``)."""
    path = GOLDEN / name
    if update:
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def chromium(page: Path, tmp_path: Path, size: str) -> tuple[Path, str]:
    """Render ``page`` in Debian's headless chromium: a screenshot at ``size`` (``W,H``) and
    the DOM after layout (asserting both ran)."""
    import subprocess

    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--hide-scrollbars",
    ]
    shot = tmp_path / "page.png"
    run = [shutil.which("chromium") or "chromium", *flags]
    done = subprocess.run(
        [*run, f"--window-size={size}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    dom = subprocess.run(
        [*run, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr
    return shot, dom.stdout
