"""A recommendation rendered with the spans that produced its labels
marked (HTML), for the notebooks and the brief page to display.

Contract
--------
``highlight(text, spans)`` marks ``(start, end, label)`` spans (overlaps
merged into the first; labels show on hover). ``evidence_spans(row,
source)`` reads the spans behind a classified row's labels from its
evidence columns, whatever shape they come in (the classifier's
``CODE:word@start-end`` strings, dicts, ``[start, end]`` pairs, JSON or
``|``-joined text read back from a CSV, numpy arrays read back from
Parquet), offsets into ``text`` or, for an actor or cue read from a
sub-item's chapeau, into the chapeau. ``evidence_html`` is a table of rows,
labels by name, evidence marked; ``pairs_html`` the closest overlap pairs
side by side, their shared spans marked. ``EVIDENCE_CSS`` styles both
(``analysis.brief`` uses it and ``highlight`` too).

Why
---
A label a reader cannot trace to the words it rests on cannot be checked;
every page that shows evidence marks it through these functions, so the
marks mean the same everywhere.
"""

from __future__ import annotations

import html
import json
import numbers
import re

import pandas as pd

from ..tables import list_cell
from .views import _cell, _named_cells, heading


def highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """HTML of ``text`` with ``(start, end, label)`` spans marked.

    Overlapping spans are merged into the first; labels show on hover.

    >>> highlight("各国应考虑培训", [(0, 2, "actor"), (2, 5, "strength")])
    '<span class="ev ev-actor" title="actor">各国</span><span class="ev ev-strength" title="strength">应考虑</span>培训'
    """
    out, pos = [], 0
    for start, end, label in sorted((s for s in spans if s[1] > s[0]), key=lambda s: (s[0], -s[1])):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        cls = html.escape(label.split(":")[0])
        out.append(f'<span class="ev ev-{cls}" title="{html.escape(label)}">{html.escape(text[start:end])}</span>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


EVIDENCE_CSS = """<style>
.ev{border-radius:3px;padding:0 1px}
.ev-actor{background:#cfe3f7;border-bottom:2px solid #0072B2}
.ev-strength{background:#fbe3c4;border-bottom:2px solid #D55E00}
.ev-condition{background:#eeeeee;border-bottom:2px dotted #555}
.ev-theme{background:#d9f0e3;border-bottom:2px solid #009E73}
.ev-crime{background:#f3d9ea;border-bottom:2px solid #CC79A7}
.ev-shared{background:#fff3a8}
.chapeau{color:#666}
table.recs td{vertical-align:top;text-align:left!important} table.recs th{text-align:left!important}
</style>"""
# ``!important``: JupyterLab (and its HTML export) right-aligns the cells of
# HTML output with a selector stronger than the table's own, which set
# paragraphs of Chinese flush right.


_EVIDENCE_STR = re.compile(r"^(?P<label>[^:@]+):(?P<term>.*)@(?P<start>\d+)-(?P<end>\d+)$")


def evidence_terms(value) -> list[tuple[str, str]]:
    """The ``(code, word)`` pairs of an evidence cell (``theme_evidence``,
    ``crime_area_evidence``: ``CODE:word@start-end`` items), for naming them.

    >>> evidence_terms(["TA:培训@5-7", "LEG:夏洛克@9-12"])
    [('TA', '培训'), ('LEG', '夏洛克')]
    """
    found = []
    for item in _evidence_items(value):
        m = _EVIDENCE_STR.match(item) if isinstance(item, str) else None
        if m:
            found.append((m["label"], m["term"]))
    return found


def evidence_spans(row, source: str = "text") -> list[tuple[int, int, str]]:
    """Spans behind a classified row's labels, from its evidence columns.

    ``source`` picks the string the spans point into: ``"text"`` (the
    default) or ``"chapeau"``: the classifier reads the actor and the cue of
    a sub-item ``4(a)`` from its chapeau (``actor_source == "chapeau"``), and
    those offsets are offsets into the chapeau, not into ``text``.

    >>> row = {"actor_span": [0, 2], "actor_source": "text", "strength_span": [0, 1],
    ...        "strength_source": "chapeau", "theme_evidence": ["TA:培训@5-7"],
    ...        "crime_area_evidence": ["TIP:贩运人口@9-13"]}
    >>> evidence_spans(row)
    [(0, 2, 'actor'), (5, 7, 'theme:培训 (TA)'), (9, 13, 'crime:贩运人口 (TIP)')]
    >>> evidence_spans(row, "chapeau")
    [(0, 1, 'strength')]
    >>> import numpy as np  # spans read back from Parquet hold numpy integers
    >>> evidence_spans({"actor_span": [np.int64(2), np.int64(4)]})
    [(2, 4, 'actor')]
    """
    spans: list[tuple[int, int, str]] = []
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))

    def add(value, label):
        for item in _evidence_items(value):
            if isinstance(item, str):
                m = _EVIDENCE_STR.match(item)
                if m:  # ``CODE:word@start-end`` (the classifier's theme evidence)
                    spans.append((int(m["start"]), int(m["end"]), f"{label}:{m['term']} ({m['label']})"))
            elif isinstance(item, dict) and "start" in item and "end" in item:
                spans.append((int(item["start"]), int(item["end"]), f"{label}:{item.get('term', item.get('text', ''))}"
                              + (f" ({item['theme']})" if item.get("theme") else "")))
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                spans.append((int(item[0]), int(item[1]), label))

    def source_of(field_source):
        v = get(field_source)
        return "text" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)

    if source_of("actor_source") == source:
        add(get("actor_span"), "actor")
    if source_of("strength_source") == source:
        add(get("strength_span"), "strength")
    if source == "text":
        add(get("condition_spans"), "condition")
        add(get("theme_evidence"), "theme")
        add(get("crime_area_evidence"), "crime")
    return spans


def _evidence_items(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        if _EVIDENCE_STR.match(value):
            return [value]
        try:
            value = json.loads(value)
        except ValueError:
            return [x for x in value.split("|") if _EVIDENCE_STR.match(x)]
    if isinstance(value, dict):
        if "start" in value:
            return [value]
        items = []
        for theme, hits in value.items():
            for h in _evidence_items(hits):
                if isinstance(h, dict):
                    h = {**h, "theme": h.get("theme", theme)}
                items.append(h)
        return items
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        # a single [start, end] span (numpy integers once read back from Parquet)
        if len(value) == 2 and all(isinstance(v, numbers.Real) for v in value):
            return [value] if value[1] > value[0] else []
        return [v for v in value if v is not None]
    return []


def evidence_html(recs: pd.DataFrame, columns=("rec_id", "actor_group", "strength", "primary_theme"),
                  lang: str | None = "zh") -> str:
    """An HTML table: labels, then the text with its evidence highlighted.

    Labels are shown by their codebook names in ``lang`` (headings too);
    ``lang=None`` shows the codes, as the machine tables hold them. A
    sub-item whose actor or cue comes from its chapeau shows the chapeau
    (in grey, its evidence marked) before its own text.
    """
    shown = _named_cells(recs, columns, lang) if lang is not None and len(recs) else None
    rows = []
    for i, (_, r) in enumerate(recs.iterrows()):
        cells = "".join(f"<td>{html.escape(_cell(shown[c].iloc[i] if shown is not None and c in shown else r.get(c, '')))}</td>"
                        for c in columns)
        chapeau = r.get("chapeau")
        lead = ""
        if isinstance(chapeau, str) and chapeau:
            lead = f'<span class="chapeau">{highlight(chapeau, evidence_spans(r, "chapeau"))}</span> '
        rows.append(f"<tr>{cells}<td>{lead}{highlight(str(r['text']), evidence_spans(r))}</td></tr>")
    head = "".join(f"<th>{html.escape(heading(c, lang) if lang else c)}</th>" for c in (*columns, "text"))
    return f'{EVIDENCE_CSS}<table class="recs"><tr>{head}</tr>{"".join(rows)}</table>'


def pairs_html(overlap: pd.DataFrame, recs: pd.DataFrame, n: int = 10) -> str:
    """The closest pairs side by side, their shared spans marked."""
    if overlap is None or overlap.empty:
        return "<p>No pairs of similar recommendations. / 没有相似的建议对。</p>"
    text = recs.set_index("rec_id")["text"]
    rows = []
    for _, p in overlap.sort_values("similarity", ascending=False).head(n).iterrows():
        cells = []
        for rid in (p["rec_id_a"], p["rec_id_b"]):
            t = text.get(rid, "")
            spans = []
            for s in list_cell(p.get("shared_spans")):
                s = str(s)
                start = t.find(s)
                if s and start >= 0:
                    spans.append((start, start + len(s), "shared"))
            cells.append(f"<td><b>{html.escape(rid)}</b><br>{highlight(t, spans)}</td>")
        terms = "、".join(map(str, list_cell(p.get("shared_terms"))[:8]))
        rows.append(f"<tr><td>{p['similarity']:.2f}<br><small>{html.escape(terms)}</small></td>{''.join(cells)}</tr>")
    return (f'{EVIDENCE_CSS}<table class="recs"><tr><th>similarity / shared terms</th><th>A</th><th>B</th></tr>'
            f'{"".join(rows)}</table>')
