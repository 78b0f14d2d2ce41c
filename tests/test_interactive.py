"""The interactive overlap charts (``charts.interactive``) and how
``report.html`` carries them: the figures show what the print charts show
(one data preparation), hover reads both texts and the score, a person
reads names not codes, English is English outside quoted source text;
the page loads plotly.js from the file shipped beside it (no CDN), every
click target is a row of the table, and Chromium draws the figures.

Built from real runs (the seed alone; the seed and a resolution written
for testing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from analysis import charts
from analysis.pages import rec_anchor
from analysis.report import INTERACTIVE, PLOTLY_JS, chart_specs, report_page
from pagecheck import CODES, Page

CJK = re.compile(r"[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]")
QUOTED = re.compile(re.escape(charts.interactive.SOURCE_SPAN) + r".*?</span>", re.S)
TAGS = re.compile(r"<[^>]+>")


def _plain(hover: str) -> str:
    """A hover text as read: tags and line breaks out (the wrapping joins
    lines back), entities decoded."""
    import html

    return html.unescape(TAGS.sub("", hover.replace("<br>", "")))


def _strings(fig) -> list[str]:
    """Every string of a figure a person reads: titles, tick labels, legend
    names, node labels, annotations, hover texts."""
    spec = fig.to_plotly_json()
    out = []

    def walk(v, key=""):
        if isinstance(v, dict):
            for k, x in v.items():
                if k not in ("customdata", "hovertemplate", "colorscale", "symbol", "color", "family",
                             "legendgroup", "type", "mode", "textposition", "dash", "bgcolor", "bordercolor",
                             "xref", "yref", "xanchor", "yanchor", "align", "orientation", "side",
                             "autorange", "tickmode", "constrain", "scaleanchor", "template", "hoverinfo",
                             "fillcolor", "paper_bgcolor", "plot_bgcolor", "ticks"):
                    walk(x, k)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x, key)
        elif isinstance(v, str):
            out.append(v)

    walk(spec)
    return out


def _texts(run) -> dict[str, str]:
    return dict(zip(run.recommendations["rec_id"], run.recommendations["text"]))


@pytest.mark.parametrize("which", ["one_unit", "two_units"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_heatmap_shows_what_the_print_heatmap_shows_and_hover_reads_both_texts(which, lang, request):
    run = request.getfixturevalue(which)
    overlap, clusters = run.tables["overlap"], run.tables.get("clusters")
    fig = charts.overlap_heatmap_figure(overlap, clusters, run.recommendations, lang=lang)
    data = charts.heatmap_data(overlap, clusters, lang=lang)
    heat = fig.data[0]
    # same recommendations, same order, same labels as the matplotlib heatmap
    ax = charts.plot_overlap_heatmap(overlap, clusters, lang=lang)
    printed = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    assert list(fig.layout.yaxis.ticktext) == printed == data.labels
    assert list(fig.layout.xaxis.ticktext) == printed
    assert len(fig.layout.shapes) == len(data.spans)  # the cluster boxes
    n = len(data.order)
    assert n > 3
    texts = _texts(run)
    pairs = {frozenset((a, b)): s for a, b, s in overlap[["rec_id_a", "rec_id_b", "similarity"]].itertuples(index=False)}
    checked = 0
    for i in range(n):
        for j in range(n):
            a, b = data.order[i], data.order[j]
            if i == j:
                assert heat.z[i][j] is None and fig.data[1].customdata[i][j] == a
                assert _plain(fig.data[1].text[i][j]).count(texts[a][:25]) == 1
                continue
            assert heat.customdata[i][j] == f"{a}|{b}"  # a click names both
            hover = _plain(heat.text[i][j])
            assert a in hover and b in hover  # both ids
            assert charts.rec_label(a, lang) in hover and charts.rec_label(b, lang) in hover
            if data.matrix[i, j] > 0:
                assert heat.z[i][j] == pytest.approx(data.matrix[i, j])
                assert f"{data.matrix[i, j]:.2f}" in hover
                for r in (a, b):  # both texts (the start: a long one is cut after a few lines)
                    assert texts[r][:30] in hover, (r, hover)
                checked += 1
            else:
                assert frozenset((a, b)) not in pairs or not pairs[frozenset((a, b))]
    assert checked >= 4
    # the shared wording of the strongest pair is shown
    i, j = divmod(int(data.matrix.argmax()), n)
    spans = overlap.loc[overlap["similarity"].idxmax(), "shared_spans"]
    assert str(list(spans)[0])[:8] in _plain(heat.text[i][j])


@pytest.mark.parametrize("which", ["one_unit", "two_units"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_network_shows_what_the_print_network_shows_and_hover_reads_the_texts(which, lang, request):
    run = request.getfixturevalue(which)
    overlap = run.tables["overlap"]
    fig = charts.overlap_network_figure(overlap, run.recommendations, lang=lang)
    data = charts.network_data(overlap, lang=lang)
    nodes = [t for t in fig.data if t.mode == "markers+text"]
    drawn = {rid: (x, y) for t in nodes for rid, x, y in zip(t.customdata, t.x, t.y)}
    assert drawn == {v: tuple(p) for v, p in data.pos.items()}  # same nodes at the same place
    pairs = charts.network_pairs(overlap)
    assert set(drawn) == set(pairs["rec_id_a"]) | set(pairs["rec_id_b"])
    labels = {rid: lab for t in nodes for rid, lab in zip(t.customdata, t.text)}
    ax = charts.plot_overlap_network(overlap, run.tables.get("clusters"), lang=lang)
    assert sorted(labels.values()) == sorted(t.get_text() for t in ax.texts)  # the print chart's labels
    plt.close(ax.figure)
    texts = _texts(run)
    for t in nodes:
        for rid, hover in zip(t.customdata, t.hovertext):
            assert rid in _plain(hover) and texts[rid][:30] in _plain(hover)
    mids = next(t for t in fig.data if t.mode == "markers")
    assert len(mids.customdata) == data.graph.number_of_edges()
    for ids, hover in zip(mids.customdata, mids.text):
        a, b = ids.split("|")
        s = data.graph.edges[a, b]["similarity"]
        plain = _plain(hover)
        assert f"{s:.2f}" in plain and texts[a][:30] in plain and texts[b][:30] in plain
    dashed = {t.name for t in fig.data if t.mode == "lines" and t.showlegend}
    assert dashed <= {charts.TEXT["same_res"][lang == "en"], charts.TEXT["cross_res"][lang == "en"]}


@pytest.mark.parametrize("which", ["one_unit", "two_units"])
def test_a_reader_sees_names_not_codes_and_english_outside_quoted_text(which, request):
    run = request.getfixturevalue(which)
    for name, make in INTERACTIVE.items():
        for lang in ("zh", "en"):
            for text in _strings(make(run, lang)):
                outside = _plain(QUOTED.sub("", text))
                found = set(CODES.findall(outside))
                if lang == "en":
                    found -= {"States"}  # the English name of the group, not a code
                assert not found, (name, lang, found, text)
                if lang == "en":
                    assert not CJK.search(outside), (name, text)


def test_the_network_layout_does_not_depend_on_the_hash_seed(one_unit):
    """The print and the interactive network share ``network_data``'s
    layout; it was once drawn differently from one process to the next."""
    code = ("import sys; from analysis.explore import load; from analysis.charts import network_data; "
            "d = network_data(load(sys.argv[1]).tables['overlap']); "
            "print(sorted((k, round(float(x), 6), round(float(y), 6)) for k, (x, y) in d.pos.items()))")
    outs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code, str(one_unit.processed)], env=env, check=True,
                                capture_output=True, text=True).stdout)
    assert len(outs) == 1


def _figures(run):
    return {f"{n}_{lang}": {"png": Path(f"/x/figures/{n}_{lang}.png")} for n, _, _ in chart_specs(run)
            for lang in ("zh", "en")}


def _plots(html: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2).replace("<\\/", "</")) for m in re.finditer(
        r'<script type="application/json" id="(plot-[^"]+)-data">(.*?)</script>', html, re.S)}


def test_the_page_carries_both_charts_in_both_languages_and_loads_plotly_from_beside_it(two_units):
    html = report_page(two_units, _figures(two_units), [])
    page = Page(html)
    plots = _plots(html)
    assert set(plots) == {f"plot-{n}-{lang}" for n in INTERACTIVE for lang in ("zh", "en")}
    for pid in plots:
        div = next(a for t, a in page.tags if t == "div" and a.get("id") == pid)
        lang = pid.rsplit("-", 1)[1]
        assert lang in div["class"].split() and div["data-figure"] == f"{pid}-data"
    # every chart keeps its two images, the fallback without script
    assert all(len(imgs) == 2 for imgs in page.figures)
    # plotly.js: once, from the file shipped beside the page; nothing from the network
    srcs = [a["src"] for t, a in page.tags if t == "script" and a.get("src")]
    assert srcs == [PLOTLY_JS] and not PLOTLY_JS.startswith(("/", "http"))
    assert not re.search(r"https?://|//cdn|cdn\.", html, re.I)
    # Chinese of the figures is in the embedded font's cut
    import base64
    import io

    from fontTools.ttLib import TTFont

    face = re.search(r"base64,([A-Za-z0-9+/=]+)\) format\('truetype'\)", html).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(face))).getBestCmap()
    zh_text = " ".join(_plain(t) for t in _strings(charts.overlap_heatmap_figure(
        two_units.tables["overlap"], two_units.tables["clusters"], two_units.recommendations)))
    assert all(ord(ch) in cmap for ch in set(CJK.findall(zh_text)))


def test_every_click_target_is_a_row_of_the_recommendations_table(two_units):
    html = report_page(two_units, _figures(two_units), [])
    page = Page(html)
    rows = {a["id"] for t, a in page.tags if t == "tr" and a.get("id")}
    assert rows == {rec_anchor(r) for r in two_units.recommendations["rec_id"]}
    targets = set()
    for spec in _plots(html).values():
        for trace in spec["data"]:
            for v in _flat(trace.get("customdata")):
                targets.update(v.split("|"))
    assert targets and {rec_anchor(r) for r in targets} <= rows


def _flat(v):
    if isinstance(v, list):
        for x in v:
            yield from _flat(x)
    elif isinstance(v, str):
        yield v


def test_plotly_js_is_written_once_beside_the_page(tmp_path):
    target = charts.write_plotly_js(tmp_path / "report_assets")
    assert target.read_bytes() == charts.interactive.plotly_js_path().read_bytes()
    mtime = target.stat().st_mtime_ns
    charts.write_plotly_js(tmp_path / "report_assets")
    assert target.stat().st_mtime_ns == mtime  # the same file is left alone
    assert b"Plotly" in target.read_bytes()[:2000] or target.stat().st_size > 1_000_000


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


#: Run after the page's scripts: hover the strongest cell, click a cell
#: (as plotly reports a click), and leave what happened in the DOM.
PROBE = """
<script>
window.addEventListener('load', function(){ setTimeout(function(){
  var div = document.getElementById('plot-overlap_heatmap-zh');
  var fig = JSON.parse(document.getElementById(div.dataset.figure).textContent);
  var z = fig.data[0].z, best = [0, 1], top = -1;
  z.forEach(function(row, i){ row.forEach(function(v, j){ if (v !== null && v > top) { top = v; best = [i, j]; } }); });
  Plotly.Fx.hover(div, {xval: best[1], yval: best[0]});
  var hover = div.querySelector('.hoverlayer');
  document.body.setAttribute('data-hover', hover ? hover.textContent : '');
  div.emit('plotly_click', {points: [{customdata: fig.data[0].customdata[best[0]][best[1]]}]});
  document.body.setAttribute('data-clicked', fig.data[0].customdata[best[0]][best[1]]);
}, 500); });
</script>
"""


def test_chromium_draws_the_figures_and_a_click_marks_the_rows(one_unit, tmp_path):
    """Headless Chromium loads the page with plotly.js beside it: the
    figures of the shown language are drawn as SVG, a hover shows both
    texts, a click marks the two rows of the table; skipped without Chromium."""
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium on this machine")
    html = report_page(one_unit, _figures(one_unit), [])
    charts.write_plotly_js(tmp_path / Path(PLOTLY_JS).parent)
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180).stdout
    heat = re.search(r'<div class="plot zh[^"]*"[^>]*id="plot-overlap_heatmap-zh".*?</script>', dom, re.S)
    assert heat and "main-svg" in heat.group(0) and "heatmaplayer" in heat.group(0)
    assert re.search(r'id="plot-overlap_network-zh"[^>]*data-drawn="1"', dom)
    # the English figures wait until English is chosen
    assert not re.search(r'id="plot-overlap_heatmap-en"[^>]*data-drawn', dom)
    assert "<html" in dom and 'class="plotly' in dom.split(">", 2)[0] + dom[:400]
    clicked = re.search(r'data-clicked="([^"]+)"', dom).group(1).split("|")
    picked = set(re.findall(r'<tr id="([^"]+)" class="picked"', dom))
    assert picked == {rec_anchor(r) for r in clicked}
    import html as h

    hover = h.unescape(re.search(r'data-hover="([^"]*)"', dom).group(1))
    texts = _texts(one_unit)
    assert all(r in hover for r in clicked)
    assert all(texts[r][:20] in hover.replace(" ", "") or texts[r][:10] in hover for r in clicked), hover
