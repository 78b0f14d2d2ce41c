"""The executed notebooks as HTML (``report.notebook_html``) open offline:
nothing is fetched from the network (no require.js, MathJax, mermaid.js or
widget manager from a CDN), a plotly figure finds plotly.js in
``report_assets/`` beside the report, widgets show their static form, the
Chinese characters are drawn with the embedded face.

Built without a kernel: a notebook whose outputs are what the project's
display calls give (``charts.notebook_view``, ``explore.explorer``) on a
real run of the seed resolution."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from analysis import charts, explore
from analysis.pages import FONT_FAMILY
from analysis.report import NOTEBOOKS, PLOTLY_JS, notebook_html
from pagecheck import SEED
from pagecheck import run_corpus as _run

CJK = re.compile(r"[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]")
#: Where the default template would fetch from.
CDNS = ("cdnjs", "unpkg", "jsdelivr", "cdn.plot.ly", "mathjax", "require.min.js")


class Refs(HTMLParser):
    """What a page loads: ``scripts`` (src), ``links`` (href of ``<link>``),
    ``inline`` (the text of script elements without src), ``styles``."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts, self.links, self.inline, self.styles, self.images = [], [], [], [], []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src") is not None:
            self.scripts.append(a["src"])
        elif tag == "script":
            self._in = ("script", a.get("type") or "")
        elif tag == "style":
            self._in = ("style", "")
        elif tag == "link" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a.get("src") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in and self._in[0] == "script":
            self.inline.append((self._in[1], data))
        elif self._in:
            self.styles.append(data)

    def fetched_by_scripts(self) -> list[str]:
        """URLs the inline scripts load: ``import(…)``, ``fetch(…)``, ``.src = …``."""
        js = "\n".join(text for kind, text in self.inline if kind in ("", "text/javascript", "module"))
        return re.findall(r"""(?:import|fetch)\(\s*["'`]([^"'`]+)|\.src\s*=\s*["']([^"']+)""", js)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _run(tmp_path_factory, "nbhtml", [SEED])


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory):
    """``report/05_like.html`` beside ``report_assets/plotly.min.js``, as
    ``build_report`` writes them: a notebook with a Chinese heading, a
    plotly figure, a widget (its state in the metadata, as nbclient keeps
    it) and a PNG."""
    import ipywidgets
    import matplotlib.pyplot as plt

    recs = run.recommendations
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("## 建议相似度 / Similarity"))
    fig = charts.overlap_heatmap_figure(run.tables["overlap"], run.tables.get("clusters"), recs, lang="zh")
    plot = nbformat.v4.new_code_cell("display(charts.notebook_view(fig))")
    plot.outputs = [nbformat.v4.new_output("display_data", data=charts.notebook_view(fig)._repr_mimebundle_())]
    box = explore.explorer(recs, lang="zh")
    widget = nbformat.v4.new_code_cell("explore.explorer(recs, lang=LANG)")
    widget.outputs = [nbformat.v4.new_output("execute_result", data=box._repr_mimebundle_(), execution_count=1)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": ipywidgets.Widget.get_manager_state(drop_defaults=True)["state"],
        "version_major": 2, "version_minor": 0}}
    picture = io.BytesIO()
    figure, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1])
    figure.savefig(picture, format="png")
    plt.close(figure)
    image = nbformat.v4.new_code_cell("plt.show()")
    image.outputs = [nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(picture.getvalue()).decode(), "text/plain": "<Figure>"})]
    nb.cells += [plot, widget, image]
    out = tmp_path_factory.mktemp("nbhtml_report")
    (out / "report").mkdir()
    charts.write_plotly_js(out / Path(PLOTLY_JS).parent)
    page = out / "report" / "05_like.html"
    page.write_text(notebook_html(nb), encoding="utf-8")
    return page


def test_the_notebook_html_loads_nothing_from_the_network(exported):
    html = exported.read_text(encoding="utf-8")
    refs = Refs(html)
    external = re.compile(r"^(?:https?:)?//", re.I)
    assert not [s for s in refs.scripts if external.match(s)], refs.scripts
    assert not [h for h in refs.links if external.match(h)], refs.links
    styles = "\n".join(refs.styles)
    assert "@import" not in styles
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", styles)
    loaded = [a or b for a, b in refs.fetched_by_scripts()]
    assert loaded and not [u for u in loaded if external.match(u)], loaded
    assert all(src.startswith("data:") for src in refs.images)
    # none of the default template's CDN loaders (mermaid.js imported only for a diagram, the widget
    # manager only for a widget: still on the page, waiting to fetch)
    assert not [c for c in CDNS if c in html.lower()]


def test_a_plotly_figure_finds_plotly_js_beside_the_report(exported):
    html = exported.read_text(encoding="utf-8")
    refs = Refs(html)
    plotly = [a or b for a, b in refs.fetched_by_scripts() if (a or b).endswith("plotly.min.js")]
    assert plotly == [charts.interactive.NOTEBOOK_PLOTLY_JS]
    bundle = (exported.parent / plotly[0]).resolve()
    assert bundle == (exported.parent.parent / PLOTLY_JS).resolve()
    assert bundle.stat().st_size > 1_000_000 and b"plotly" in bundle.read_bytes()[:4000].lower()
    drawing = next(text for kind, text in refs.inline if "Plotly.newPlot" in text)
    assert '"type":"heatmap"' in drawing
    # the figure's Chinese labels use the face the page embeds
    assert FONT_FAMILY in drawing and f"@font-face{{font-family:'{FONT_FAMILY}'" in html


def test_widgets_show_their_static_form_and_chinese_its_embedded_face(exported):
    html = exported.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert explore.widgets.STATIC_TEXT in html.replace("&lt;", "<")
    assert "VBox(children" not in html
    face = re.search(r"@font-face\{font-family:'" + FONT_FAMILY + r"'.*?url\(data:font/ttf;base64,([^)]+)\)", html)
    assert face
    from fontTools.ttLib import TTFont

    cmap = TTFont(io.BytesIO(base64.b64decode(face.group(1)))).getBestCmap()
    shown = set(CJK.findall(re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)))
    assert shown and {ch for ch in shown if ord(ch) not in cmap} == set()
    # JupyterLab's font stacks lead with it
    assert re.search(r"--jp-content-font-family:'" + FONT_FAMILY + "'", html)
    assert re.search(r"--jp-code-font-family-default:'" + FONT_FAMILY + "'", html)


def test_the_project_notebooks_need_neither_mathjax_nor_mermaid():
    """The HTML leaves MathJax and mermaid.js out (both only on a CDN): a
    formula or a diagram in a notebook would show as its source."""
    for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert not re.search(r"\$[^$\n]+\$|\\\(|\\\[|```mermaid", cell.source), (path.name, cell.source)


def test_chromium_offline_draws_the_figure(exported, tmp_path):
    """Headless Chromium with every request sent to a dead proxy: the plotly
    figure is drawn from the shipped plotly.js; skipped without Chromium."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("no Chromium on this machine")
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                          "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=10000", "--dump-dom",
                          exported.as_uri()], capture_output=True, text=True, timeout=180).stdout
    plot = re.search(r"<div [^>]*class=\"cop-plot js-plotly-plot\"[^>]*>(.*?)</script>", dom, re.S)
    assert plot and "main-svg" in plot.group(1) and "heatmaplayer" in plot.group(1)
    assert explore.widgets.STATIC_TEXT in dom
