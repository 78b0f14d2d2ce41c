"""Writing a chart: the source line, the alternative text, the files.

Contract
--------
``save_figure(fig, name, out_dir=config.FIGURES, source=…)`` writes PNG
(300 dpi), SVG (text as text, with ``<title>``/``<desc>``) and PDF
(TrueType fonts embedded, text extractable) of a figure and returns
``{format: path}``. ``source_text`` makes the small source line under a
chart (units covered by name and symbol, lexicon version, date);
``add_source_line`` puts it on a figure (its text artist carries the gid
``SOURCE_GID``, so a later line replaces it). ``set_alt_text`` is how a
chart function says what its chart shows; ``alt_text`` and
``figure_title`` what ``save_figure`` writes as SVG ``<desc>``/``<title>``
and PDF subject/title.

Why
---
Outputs carry no creation date and a hash salt fixed by the name, so
rerunning on the same data gives the same bytes (the report keeps a figure
whose files are unchanged). The layout is settled once and every format
drawn from the same bounding box, so the three files show the same chart
and each is drawn once.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis import config
from analysis.fonts import pdf_font_context, setup_fonts

from .labels import _t, lexicon_version, wrap_label
from .style import _SAVE_PAD, STYLE_RC

#: The package logs under one name (``analysis.charts``), as the module did.
logger = logging.getLogger("analysis.charts")


#: The gid of the source line's text artist (and its SVG element).
SOURCE_GID = "cop-analysis-source-line"


def _unit_source_name(key: str, lang: str) -> str:
    """A unit as the source line names it: its name (``bodies.unit_name``)
    and, where the body's symbols follow the resolution number, its
    document symbol (``A/RES/52/85``)."""
    from analysis.bodies import load_bodies, parse_key, unit_name

    name = unit_name(key, lang)
    try:
        body, kind, number = parse_key(key)
    except ValueError:
        return name
    template = load_bodies()[body].symbol
    if kind == "resolution" and "{number}" in template and "{session}" not in template:
        name += (f"（{template.format(number=number)}）" if lang == "zh" else f" ({template.format(number=number)})")
    return name


#: Units named one by one on a source line; past this the rest are counted.
SOURCE_MAX_UNITS = 6


def source_text(resolutions: Iterable[str], *, lang: str = "zh", version: str | None = None,
                date: _dt.date | str | None = None, note: str | None = None) -> str:
    """The small source line under a chart: the units covered, by name and
    symbol (``bodies.unit_name``), the lexicon (codebook) version without
    its file hash (``manifest.json`` keeps that), the date, and an optional
    note.

    >>> source_text(["11/2"], lang="en", version="2026.11.1+3fa2c0d1", date="2026-01-05")
    'Source: COP resolution 11/2; lexicon 2026.11.1; generated 2026-01-05'
    >>> source_text(["11/2", "GA.52/85"], version="1", date="2026-01-05")
    '资料来源：大会第52/85号决议（A/RES/52/85）、第11/2号决议；词典版本 1；生成日期 2026-01-05'
    """
    from analysis.bodies import time_key

    res = sorted({str(r) for r in resolutions if r is not None and str(r)}, key=time_key)
    version = lexicon_version() if version is None else version
    version = str(version).split("+", 1)[0]
    date = (date or _dt.date.today()).isoformat() if not isinstance(date, str) else date
    sep, lst = _t("sep", lang), _t("list_sep", lang)
    names = [_unit_source_name(r, lang) for r in res[:SOURCE_MAX_UNITS]]
    if len(res) > SOURCE_MAX_UNITS:
        more = len(res) - SOURCE_MAX_UNITS
        names.append(f"另 {more} 个单元" if lang == "zh" else f"and {more} more unit{'s' if more > 1 else ''}")
    parts = [lst.join(names)] if names else []
    parts += [_t("lexicon", lang, v=version), _t("generated", lang, d=date)]
    if note:
        parts.append(note)
    return _t("source", lang) + sep.join(parts)


#: Type size of the source line (points).
SOURCE_SIZE = 7


def add_source_line(fig: Figure, text: str) -> Figure:
    """Put ``text`` in small grey type under the figure's bottom-left
    corner (replacing an earlier source line), wrapped to the figure's
    width so that it never widens a chart sized for a column. It sits just
    outside the axes area, so layout engines leave the chart alone and the
    tight bounding box used when saving takes it in. An English chart that
    shows a word without an English gloss (marked ``*``, see
    ``analysis.glossary``) gets the footnote saying so."""
    from analysis.glossary import UNGLOSSED_NOTE

    for old in [t for t in fig.texts if t.get_gid() == SOURCE_GID]:
        old.remove()
    if _shows_unglossed(fig) and UNGLOSSED_NOTE not in text:
        text = f"{text}\n{UNGLOSSED_NOTE}"
    # 7 pt type (the smallest a printed briefing reads): about 0.55 em per half-width column
    columns = max(40, int(fig.get_figwidth() * 72 / (SOURCE_SIZE * 0.55)) - 2)
    text = "\n".join(wrap_label(line, columns, 4) for line in text.split("\n"))
    with mpl.rc_context(STYLE_RC):
        setup_fonts()
        fig.text(0.005, -0.005, text, ha="left", va="top", fontsize=SOURCE_SIZE, color="#666666", gid=SOURCE_GID,
                 wrap=False)
    return fig


_MARKED = re.compile(r"[\u3400-\u9fff]\*")


def _figure_texts(fig: Figure) -> list[str]:
    """Every string the figure shows (titles, tick labels, legends, notes)."""
    out = []
    for artist in fig.findobj(mpl.text.Text):
        if artist.get_visible() and artist.get_text() and artist.get_gid() != SOURCE_GID:
            out.append(artist.get_text())
    return out


def _shows_unglossed(fig: Figure) -> bool:
    return any(_MARKED.search(t) for t in _figure_texts(fig))


#: Font families written into SVG text: the bundled font, then the CJK fonts
#: readers commonly have, then the generic family, so that the text stays
#: text (searchable, editable) and still shows where the bundled font is absent.
SVG_FONT_FAMILY = ("'Droid Sans Fallback', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', "
                   "'Microsoft YaHei', 'SimHei', 'WenQuanYi Micro Hei', 'DejaVu Sans', sans-serif")


def figure_title(fig: Figure) -> str:
    """The chart's title as a reader sees it (the figure's suptitle, else the
    first axes title), on one line."""
    sup = getattr(fig, "_suptitle", None)
    texts = [sup.get_text()] if sup is not None and sup.get_text() else []
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            t = ax.get_title(loc)
            if t:
                texts.append(t)
    return " ".join(texts[0].split()) if texts else ""


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Attach the alternative text a chart function wrote for ``fig``
    (what the chart shows, in a sentence or two): ``save_figure`` writes it
    as the SVG ``<desc>`` and the PDF's subject."""
    fig._cop_alt_text = str(text)
    return fig


def alt_text(fig: Figure) -> str:
    """The figure's alternative text: the one set by its chart function, or
    one made from what it shows (title, axis labels, legend entries)."""
    own = getattr(fig, "_cop_alt_text", None)
    if own:
        return own
    parts = [figure_title(fig)]
    for ax in fig.axes:
        labels = [x for x in (ax.get_xlabel(), ax.get_ylabel()) if x]
        if labels:
            parts.append(" / ".join(" ".join(x.split()) for x in labels))
        legend = ax.get_legend()
        if legend is not None:
            parts.append(", ".join(" ".join(t.get_text().split()) for t in legend.get_texts()))
    return ". ".join(p for p in parts if p)


def _svg_with_text(path: Path, title: str, desc: str) -> None:
    """Give an SVG written with ``svg.fonttype = none`` the font list
    ``SVG_FONT_FAMILY`` and a ``<title>`` and ``<desc>`` (read by screen
    readers and shown as a tooltip), right after the root element."""
    from xml.sax.saxutils import escape

    svg = path.read_text(encoding="utf-8")
    # the style attributes are in double quotes: the families' single quotes stay as they are
    svg = re.sub(r"font-family:[^;\"]*", "font-family: " + SVG_FONT_FAMILY, svg)
    m = re.search(r"<svg\b[^>]*>", svg)
    if m:
        head = f"\n <title>{escape(title)}</title>\n <desc>{escape(desc)}</desc>"
        svg = svg[:m.end()] + head + svg[m.end():]
    path.write_text(svg, encoding="utf-8")


def _safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\-]+", "_", str(name), flags=re.UNICODE).strip("._")
    if not name:
        raise ValueError("figure name is empty")
    return name


def save_figure(fig: Figure, name: str, *, out_dir: str | Path = config.FIGURES,
                source: str | None = None, formats: Iterable[str] = ("png", "svg", "pdf"),
                close: bool = False, alt: str | None = None) -> dict[str, Path]:
    """Write ``fig`` as ``<out_dir>/<name>.png`` (300 dpi), ``.svg`` (text
    as paths) and ``.pdf`` (TrueType fonts embedded, text extractable);
    return ``{format: path}``.

    SVG text is text (``svg.fonttype = "none"``: searchable, editable in
    a drawing program, read by screen readers), with the font list
    ``SVG_FONT_FAMILY`` and a ``<title>``/``<desc>`` from the chart's title
    and ``alt`` (by default ``alt_text(fig)``); the PDF carries the same as
    its title and subject.

    ``source`` adds (or replaces) the source line; a figure saved without
    one is logged as a warning. Outputs carry no creation date, so
    rerunning on the same data gives the same files. ``close`` releases
    the figure afterwards (batch runs); notebooks keep it to display.
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    setup_fonts()
    if source is not None:
        add_source_line(fig, source)
    elif not any(t.get_gid() == SOURCE_GID for t in fig.texts):
        logger.warning("figure %s saved without a source line", name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = _safe_name(name)
    # Constrained layout settles after one draw; drawing once first gives the
    # three formats (and any later save of this figure) the same layout.
    fig.draw_without_rendering()
    # ... and one bounding box: with the layout held and the box given, each
    # format draws the figure once instead of three times (layout, box, ink).
    # The second draw is the one a "tight" save used to make first, so the
    # files come out as they did.
    title = figure_title(fig) or stem
    alt = alt_text(fig) if alt is None else alt
    engine = fig.get_layout_engine()
    if engine is not None:
        fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(_SAVE_PAD)
    if engine is not None:
        fig.set_layout_engine("none")
    try:
        written = _save_formats(fig, out, stem, formats, dict(bbox_inches=box, facecolor="white"), title, alt)
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    logger.info("figure %s: wrote %s", stem, ", ".join(str(p) for p in written.values()))
    if close:
        plt.close(fig)
    return written


def _save_formats(fig: Figure, out: Path, stem: str, formats: Iterable[str], common: dict, title: str,
                  alt: str) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "png":
            fig.savefig(path, format="png", dpi=300, metadata={"Software": None}, **common)
        elif fmt == "svg":
            with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
                fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None}, **common)
            _svg_with_text(path, title, alt)
        elif fmt == "pdf":
            with pdf_font_context(fig), mpl.rc_context({"pdf.fonttype": 42}):
                fig.savefig(path, format="pdf", metadata={"CreationDate": None, "Creator": None,
                                                          "Producer": None, "Title": title,
                                                          "Subject": alt}, **common)
        else:
            raise ValueError(f"unsupported figure format {fmt!r} (png, svg, pdf)")
        written[fmt] = path
    return written
