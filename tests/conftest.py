"""Shared fixtures: the seed resolution and a helper to write input files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"


@pytest.fixture(scope="module")
def one_unit(tmp_path_factory):
    """A run of the seed alone (``explore.load``), once per test module."""
    from pagecheck import run_corpus

    return run_corpus(tmp_path_factory, "one", [SEED])


@pytest.fixture(scope="module")
def two_units(tmp_path_factory):
    """A run of the seed and the resolution written for testing, once per test module."""
    from pagecheck import WRITTEN, run_corpus

    return run_corpus(tmp_path_factory, "two", [SEED, WRITTEN])


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture()
def write(tmp_path):
    """write(name, text_or_bytes, encoding="utf-8") -> Path in a fresh folder."""

    def _write(name: str, content, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode(encoding))
        return p

    return _write


@pytest.fixture()
def seed_folder(tmp_path, seed_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(seed_path, folder / seed_path.name)
    return folder


def pytest_configure(config):
    # Charts: matplotlib only *warns* when a character has no glyph in any
    # font of the fallback list ("Glyph … missing from font(s) …") and draws
    # an empty box. In this suite that warning is an error, wherever it comes
    # from (charts, notebooks run in-process, reports).
    config.addinivalue_line("filterwarnings", "error:Glyph .* missing from font:UserWarning")
