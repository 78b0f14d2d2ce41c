"""The hand annotation, and the theme model trained on it.

``read_annotations`` reads (and validates) a gold or probe CSV of
``data/annotations``; ``trained_model(settings)`` is the theme model
trained on those files, kept per content in this process and, as plain
arrays, in the user cache (so a warm start needs no scikit-learn).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..config import ANNOTATIONS_DIR, PROJECT_DIR
from ..lexicon import ACTOR_GROUPS, FAMILIES, load_lexicon
from .settings import ClassifySettings
from .themes import ModelThemeClassifier

# The package's logger: messages read ``analysis.classify`` as before the split.
logger = logging.getLogger(__package__)

# --------------------------------------------------------------------------
# Training data (hand annotation) for the theme model
# --------------------------------------------------------------------------

LIST_COLUMNS = ("actors", "conditions", "themes", "crime_areas")


def default_training_files() -> tuple[Path, ...]:
    """The annotation CSVs the model learns from by default."""
    # the annotations of the project the command runs in, else of the checkout the package is from
    for base in (Path.cwd() / ANNOTATIONS_DIR.relative_to(PROJECT_DIR), ANNOTATIONS_DIR):
        files = sorted(base.glob("gold_*.csv")) + sorted(base.glob("probes*.csv"))
        if files:
            return tuple(files)
    return ()


def split_list(value) -> list[str]:
    """``a|b`` cell -> ``['a', 'b']``; empty/NaN -> ``[]``.

    >>> split_list("LEG| TA"), split_list(None), split_list(float("nan"))
    (['LEG', 'TA'], [], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split("|") if v.strip()]


def read_annotations(path: str | Path, lexicon_dir: str | Path | None = None) -> pd.DataFrame:
    """Read a gold or probe CSV (UTF-8, BOM allowed); validate its labels.

    List cells (``actors``, ``conditions``, ``themes``, ``crime_areas``) are
    ``|``-joined. Raises ValueError naming the file, the row's id and the
    bad value when a theme code, crime area code, actor group or strength
    family is unknown, or when a row has no text.
    """
    path = Path(path)
    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    id_col = "rec_id" if "rec_id" in df.columns else "probe_id"
    if id_col not in df.columns or "text" not in df.columns:
        raise ValueError(f"{path.name}: needs a rec_id (or probe_id) and a text column")
    lex = load_lexicon(lexicon_dir)
    codes = set(lex.theme_codes)
    areas = set(lex.crime_area_codes)
    for col in LIST_COLUMNS:
        if col in df.columns:
            df[col] = df[col].map(split_list)
    for i, row in df.iterrows():
        rid = row[id_col]
        if not str(row["text"]).strip():
            raise ValueError(f"{path.name}: {rid}: empty text")
        bad = [t for t in row.get("themes", []) if t not in codes]
        if bad:
            raise ValueError(f"{path.name}: {rid}: unknown theme code {bad[0]!r}")
        bad = [a for a in row.get("crime_areas", []) if a not in areas]
        if bad:
            raise ValueError(f"{path.name}: {rid}: unknown crime area code {bad[0]!r}")
        pt = row.get("primary_theme", "")
        if pt and pt not in codes:
            raise ValueError(f"{path.name}: {rid}: unknown primary theme {pt!r}")
        if pt and pt not in row.get("themes", []):
            raise ValueError(f"{path.name}: {rid}: primary theme {pt} is not among its themes")
        g = row.get("actor_group", "")
        if g and g not in ACTOR_GROUPS:
            raise ValueError(f"{path.name}: {rid}: unknown actor group {g!r}")
        f = row.get("strength_family", "")
        if f and f not in FAMILIES:
            raise ValueError(f"{path.name}: {rid}: unknown strength family {f!r}")
    for col in ("chapeau", "primary_theme", "actor", "actor_group", "strength", "strength_family", "acting_body"):
        if col in df.columns:
            df[col] = df[col].replace("", None)
    if "strength_score" in df.columns:
        df["strength_score"] = pd.to_numeric(df["strength_score"].replace("", None)).astype("Int64")
    if "negated" in df.columns:
        df["negated"] = df["negated"].str.lower().isin(["true", "1", "yes"])
    df["source_annotation"] = path.name
    return df


def training_data(files: Sequence[str | Path], lexicon_dir=None) -> pd.DataFrame:
    frames = [read_annotations(f, lexicon_dir)[["text", "themes"]] for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["text", "themes"])


_MODELS: dict[tuple, ModelThemeClassifier | None] = {}


def trained_model(settings: ClassifySettings) -> ModelThemeClassifier | None:
    """The theme model trained on the annotation files (cached per content)."""
    if not settings.theme_model:
        return None
    files = tuple(Path(f) for f in settings.training) if settings.training is not None else default_training_files()
    files = tuple(f for f in files if f.exists())
    if not files:
        logger.warning("theme model skipped: no annotation files found (themes come from the keyword rules only)")
        return None
    lex = load_lexicon(settings.lexicon_dir)
    h = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    key = (lex.version, h, settings.backend)
    if key not in _MODELS:
        _MODELS[key] = _stored_model(key, files, settings)
    return _MODELS[key]


def _stored_model(key: tuple, files: tuple[Path, ...], settings: ClassifySettings) -> ModelThemeClassifier:
    """The trained model from the user cache, or trained now and kept there.

    The file holds plain arrays (see ``ModelThemeClassifier.fit``), keyed by
    the lexicon version, the annotation files' content, the tokeniser backend
    and scikit-learn's version (which trains it)."""
    from importlib import metadata

    from ..engine.cache import pickle_atomic, read_pickles
    from ..tokenise import cache_dir

    model = ModelThemeClassifier(settings.lexicon_dir, backend=settings.backend)
    try:
        sk = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        sk = "?"
    tag = hashlib.sha256(repr((*key, model.C, tuple(model.classes_), sk)).encode()).hexdigest()[:16]
    path = cache_dir() / f"theme-model-{tag}.pkl"
    try:
        stored = read_pickles(path)
        model.params_, model.n_train_ = stored["params"], stored["n_train"]
        logger.info("theme model (%d annotated recommendations) from %s", model.n_train_, path)
        return model
    except Exception:  # missing or damaged: trained again
        pass
    data = training_data(files, settings.lexicon_dir)
    model.fit(data, data["themes"].tolist())
    logger.info("theme model trained on %d annotated recommendations (%s)", len(data),
                ", ".join(f.name for f in files))
    try:
        pickle_atomic(path, {"params": model.params_, "n_train": model.n_train_})
    except OSError as exc:
        logger.warning("cannot keep the trained theme model in %s (%s)", path.parent, exc)
    return model

