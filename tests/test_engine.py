"""The engine's contracts: stages declared once, run in the order their
tables give, checked on exit; a new table is one declaration and one function."""

from __future__ import annotations

import pandas as pd
import pytest

import analysis.stages  # noqa: F401  (declares the stages)
from analysis import tables
from analysis.engine import stages as engine_stages
from analysis.engine.run import RunSettings
from analysis.engine.stages import REGISTRY, Stage, ordered
from analysis.pipeline import run


def test_the_order_follows_what_each_stage_requires():
    order = [s.name for s in ordered()]
    assert order.index("read") < order.index("classify") < order.index("corrections")
    assert order.index("corrections") < min(order.index(n) for n in ("overlap", "review", "terms", "precedents"))
    assert order.index("overlap") < order.index("precedents")
    # every table a stage requires is made by an earlier stage
    made: set[str] = set()
    for s in ordered():
        assert set(s.requires) <= made | set(), (s.name, set(s.requires) - made)
        made |= set(s.produces)
    assert made == set(tables.TABLES)  # every declared table is made, none is made undeclared


def test_stages_waiting_on_each_other_are_refused():
    a = Stage("a", lambda **k: {}, requires=("overlap",), produces=("clusters",))
    b = Stage("b", lambda **k: {}, requires=("clusters",), produces=("overlap",))
    with pytest.raises(ValueError, match="wait on each other"):
        ordered([a, b])


def test_an_undeclared_table_is_refused_at_declaration():
    with pytest.raises(ValueError, match="no table"):
        engine_stages.stage("x", produces=("no_such_table",))


def test_a_stage_breaking_its_contract_is_named(seed_path, tmp_path, monkeypatch):
    real = REGISTRY["review"]

    def broken(recommendations):
        return {"review_queue": real.func(recommendations).get("review_queue").drop(columns=["text"])}

    monkeypatch.setitem(REGISTRY, "review", Stage("review", broken, real.requires, real.produces))
    with pytest.raises(tables.SchemaError, match="stage review: review_queue: missing column"):
        run([seed_path], tmp_path / "out", RunSettings(overrides=None, progress=False, cache=False))


def test_a_new_per_input_table_is_one_declaration_and_one_function(seed_path, tmp_path, monkeypatch):
    """docs/architecture.md's worked example, run for real: the table is
    computed after classify, stored per input, checked, written and listed."""
    conditions = tables.Table("conditions", (
        tables.Column("rec_id", "str", "the recommendation"),
        tables.Column("condition", "str", "the condition as written"),
    ), owner=("rec_id", "recommendations"))
    monkeypatch.setitem(tables.TABLES, "conditions", conditions)
    calls = []

    def make(recommendations):
        calls.append(len(recommendations))
        rows = [(r, c) for r, cs in zip(recommendations["rec_id"], recommendations["conditions"]) for c in cs]
        return {"conditions": pd.DataFrame(rows, columns=["rec_id", "condition"])}

    make.__module__ = "analysis.stages.conditions_example"  # a module of its own, as the docs say
    monkeypatch.setattr(engine_stages, "REGISTRY", dict(REGISTRY))
    monkeypatch.setattr("analysis.engine.run.ordered", lambda: ordered(list(engine_stages.REGISTRY.values())))
    engine_stages.REGISTRY["conditions"] = Stage("conditions", make, ("recommendations",), ("conditions",),
                                                 per_input=True)
    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False)
    first = run([seed_path], out, settings)
    got = pd.read_parquet(out / "conditions.parquet")
    assert len(got) and set(got["rec_id"]) <= set(first.tables["recommendations"]["rec_id"])
    assert (out / "conditions.csv").is_file() and first.manifest["tables"]["conditions"]["rows"] == len(got)
    again = run([seed_path], out, settings)  # the input is unchanged: its stored rows are reused
    assert calls == [calls[0]] and again.reused == 1
    pd.testing.assert_frame_equal(again.tables["conditions"], first.tables["conditions"])


def _fails():
    raise ValueError("in the child")


def test_a_forked_call_returns_or_raises_what_the_child_did():
    from analysis.engine.parallel import ForkedCall

    assert ForkedCall(sorted, [3, 1, 2]).get() == [1, 2, 3]
    call = ForkedCall(_fails)
    with pytest.raises(ValueError, match="in the child"):
        call.get()
    call.close()  # twice is fine
    running = ForkedCall(__import__("time").sleep, 30)
    running.close()  # stops it
    with pytest.raises(RuntimeError):
        running.get()


def test_exports_made_beside_the_corpus_stages_are_those_made_after_them(seed_path, tmp_path, monkeypatch):
    """With workers the exports are made in forked processes as soon as their
    tables are final; with one job, after the corpus stages: same files."""
    import filecmp

    from openpyxl import load_workbook

    from analysis.engine import parallel

    made = []
    real = parallel.ForkedCall.__init__
    monkeypatch.setattr(parallel.ForkedCall, "__init__",
                        lambda self, fn, *a: made.append(fn) or real(self, fn, *a))
    early = run(seed_path, tmp_path / "early", RunSettings(progress=False, cache=False, jobs=2))
    assert len(made) == len(engine_stages.EXPORTS)
    made.clear()
    late = run(seed_path, tmp_path / "late", RunSettings(progress=False, cache=False, jobs=1))
    assert not made
    assert filecmp.cmp(tmp_path / "early" / "citations.graphml", tmp_path / "late" / "citations.graphml",
                       shallow=False)

    def cells(path):
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
                for ws in load_workbook(path, read_only=True).worksheets}

    assert cells(tmp_path / "early" / "recommendations.xlsx") == cells(tmp_path / "late" / "recommendations.xlsx")
    assert set(early.manifest["files"]) == set(late.manifest["files"])


def test_the_imports_read_from_text_are_the_parsed_ones():
    """Fingerprints read each module's imports from its text (fast); for every
    module of the package that finds what parsing finds."""
    from analysis import config
    from analysis.engine import cache

    for f in sorted(config.PACKAGE_DIR.rglob("*.py")):
        parts = list(f.relative_to(config.PACKAGE_DIR).with_suffix("").parts)
        name = ".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else ".".join(parts)
        assert cache._imports_parsed(name, f) <= cache._imports(name, f), name


def test_a_large_table_is_written_by_a_forked_process_that_imports_nothing(seed_path, tmp_path):
    """The writer forks for large tables while other threads run: a child
    importing a module another thread is still importing would wait for
    ever. Once the writer is made, writing a table, or pickling it as a
    stage cache is pickled, imports no new module (checked in a fresh
    interpreter that has imported what the command line imports, then made
    a writer, then loaded the tables)."""
    import pickle
    import subprocess
    import sys
    import textwrap

    from analysis.outputs import read_table

    run([seed_path], tmp_path / "run", RunSettings(cache=False, progress=False, overrides=None))
    tables = {n: read_table(tmp_path / "run", n) for n in ("overlap", "recommendations", "paragraphs", "documents")}
    tables["recommendations"]["themes"] = tables["recommendations"]["themes"].map(list)  # as a stage gives them
    (tmp_path / "tables.pkl").write_bytes(pickle.dumps(tables))
    code = textwrap.dedent(f"""
        import pickle, sys
        from pathlib import Path
        import analysis.cli
        from analysis.engine import writer
        from analysis.engine.run import _pickle_all  # the stage caches' forked pickling
        w = writer.TableWriter(Path({str(tmp_path / "w")!r}))
        tables = pickle.loads(Path({str(tmp_path / "tables.pkl")!r}).read_bytes())
        before = set(sys.modules)
        for name, df in tables.items():
            writer._table_files(df, Path({str(tmp_path)!r}), name)
        _pickle_all([(Path({str(tmp_path / "cache.pkl")!r}), tables)])
        print(sorted(set(sys.modules) - before))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_forked_and_threaded_table_writing_give_the_same_files(seed_path, tmp_path, monkeypatch):
    from analysis.engine import writer

    outs = {}
    for label, rows in (("forked", 1), ("threaded", 10**12)):
        monkeypatch.setattr(writer, "FORKED_ROWS", rows)
        run([seed_path], tmp_path / label, RunSettings(cache=False, progress=False, overrides=None))
        outs[label] = {p.name: p.read_bytes() for p in (tmp_path / label).glob("*.*")
                       if p.suffix in (".parquet", ".csv")}
    assert outs["forked"] and outs["forked"] == outs["threaded"]
