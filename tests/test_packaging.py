"""pyproject.toml and environment.yml list the same runtime dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(d): d for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep["pip"]:
                if not p.startswith("-"):
                    pip[_name(p)] = p
        elif _name(dep) not in ("python", "pip"):
            conda[_name(dep)] = dep
    listed = {**conda, **pip}
    assert set(listed) == set(runtime), f"only in pyproject: {set(runtime) - set(listed)}; only in environment.yml: {set(listed) - set(runtime)}"
    for name, spec in runtime.items():
        pinned = re.search(r"==\s*([\w.]+)", spec)
        if pinned:
            assert pinned.group(0).replace(" ", "") in listed[name].replace(" ", ""), f"{name} must be pinned alike"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "bash scripts/setup.sh && .venv/bin/python -m pytest -q"
    assert command in readme and command in ci
