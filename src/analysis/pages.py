"""The HTML pages' shared pieces: font, style, language switch, sortable tables.

Contract
--------
Both pages (``report.html``, the brief) are single files that open offline
in any browser, on a machine without a Chinese font:

* ``font_face(text)`` is an ``@font-face`` rule embedding the bundled
  Droid Sans Fallback, cut down to the Chinese characters ``text`` uses
  (tens of kilobytes instead of 4 MB), so the page needs no system font;
* ``bi(zh, en)`` is a pair of spans with their ``lang`` attributes; the
  page shows one language at a time (``SWITCH`` buttons, a few lines of
  script; without script the Chinese shows), and charts come as a pair of
  images in the same way (``figure``);
* ``sortable_table`` writes a table whose columns sort by a click and whose
  rows filter by a text box and by the values of chosen columns (vanilla
  script in the page, no CDN); ``row_ids`` gives rows an anchor
  (``rec_anchor``) that a click in a chart leads to;
* ``figure(…, interactive=…)`` adds a chart's plotly figures (one per
  language, drawn when its language is shown) above its images, which stay
  the fallback without script; ``plotly_scripts(src)`` loads plotly.js from
  a file shipped beside the page (``src`` a relative URL, never a CDN: the
  report writes ``report_assets/plotly.min.js``) and draws them. A click on
  a chart's cell, node or edge scrolls to the recommendations it stands
  for in the table of the page and marks them (its filters are cleared
  when they hide them).

The report page refers to files beside it (its figures, plotly.js); the
brief is one file.

No function here reads a run: callers pass what a person should read
(names, never codes).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from .config import FONTS_DIR

FONT = FONTS_DIR / "DroidSansFallbackFull.ttf"
FONT_FAMILY = "CopCJK"
#: The pages' (and interactive charts') font stack. The embedded face comes
#: first: its ``unicode-range`` confines it to Chinese, so Latin text still
#: falls through to the Latin families. Listed after a Latin family
#: instead, Chromium (156, no Chinese system font) drew headings, buttons
#: and captions as empty boxes, while it drew the same characters in body
#: text.
FONT_STACK = f"'{FONT_FAMILY}','Segoe UI','Helvetica Neue',Arial,sans-serif"
#: Installed Chinese fonts the embedded face defers to (``local()`` names).
LOCAL_CJK = ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Hiragino Sans GB")


def esc(v) -> str:
    return html.escape("" if v is None else str(v))


def bi(zh: str, en: str, tag: str = "span") -> str:
    """The same words in both languages; the page shows the chosen one.

    >>> bi("行为方", "Actor")
    '<span lang="zh-Hans" class="zh">行为方</span><span lang="en" class="en">Actor</span>'
    """
    return (f'<{tag} lang="zh-Hans" class="zh">{esc(zh)}</{tag}>'
            f'<{tag} lang="en" class="en">{esc(en)}</{tag}>')


def bi_html(zh: str, en: str, tag: str = "span") -> str:
    """``bi`` for markup already escaped."""
    return f'<{tag} lang="zh-Hans" class="zh">{zh}</{tag}><{tag} lang="en" class="en">{en}</{tag}>'


def _cjk(text: str) -> str:
    return "".join(sorted({ch for ch in text if ord(ch) >= 0x2E80}))


def font_face(text: str) -> str:
    """An ``@font-face`` rule with the bundled font cut down to ``text``'s
    Chinese characters (empty when there are none)."""
    chars = _cjk(text)
    if not chars:
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT))
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode()
    local = "".join(f"local('{name}')," for name in LOCAL_CJK)
    return (f"@font-face{{font-family:'{FONT_FAMILY}';src:{local}"
            f"url(data:font/ttf;base64,{data}) format('truetype');unicode-range:U+2E80-FFFF;}}")


CSS = f"""
body{{font-family:{FONT_STACK};max-width:1100px;margin:1.5em auto;
  padding:0 1em;line-height:1.55;color:#222}}
h1{{font-size:1.7em;margin-bottom:.2em}} h2{{border-bottom:2px solid #0072B2;padding-bottom:.1em;margin-top:1.8em}}
h3{{margin-bottom:.3em}} small,.muted{{color:#555}}
body.zh .en, body.en .zh{{display:none}}
.switch{{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;z-index:2}}
.switch button{{font:inherit;padding:.15em .8em;border:1px solid #0072B2;background:#fff;color:#0072B2;cursor:pointer}}
body.zh .switch button[data-lang=zh], body.en .switch button[data-lang=en]{{background:#0072B2;color:#fff}}
figure{{margin:1em 0}} figure img{{max-width:100%;height:auto;border:1px solid #ddd}}
figcaption{{font-size:.9em;color:#444}}
table{{border-collapse:collapse;font-size:13px;margin:.5em 0}} td,th{{border:1px solid #ccc;padding:3px 6px;
  vertical-align:top}} th{{background:#f3f6f9}}
table.sortable th{{cursor:pointer;user-select:none}} table.sortable th::after{{content:' \\2195';color:#999}}
.filters{{display:flex;gap:.6em;flex-wrap:wrap;margin:.5em 0}} .filters input{{min-width:16em}}
.findings li{{margin:.35em 0}} nav.toc ol{{columns:2}}
.num{{text-align:right}} #recs td:nth-child(-n+4){{white-space:nowrap}}
.hint{{display:none}} html.plotly .hint{{display:block}} html.plotly figure.interactive img{{display:none}} figure .plot{{max-width:100%;overflow-x:auto}}
table.sortable tr.picked td{{background:#fff3a8}} table.sortable tr{{scroll-margin-top:3em}}
"""

SWITCH = ('<div class="switch"><button type="button" data-lang="zh">中文</button> '
          '<button type="button" data-lang="en">English</button></div>')

SCRIPT = """
<script>
(function(){
  function show(lang){
    document.body.classList.remove('zh','en'); document.body.classList.add(lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-Hans' : 'en';
    try { localStorage.setItem('cop-lang', lang); } catch (e) {}
    document.dispatchEvent(new CustomEvent('cop-lang', {detail: lang}));
  }
  document.querySelectorAll('.switch button').forEach(function(b){
    b.addEventListener('click', function(){ show(b.dataset.lang); });
  });
  var saved = null; try { saved = localStorage.getItem('cop-lang'); } catch (e) {}
  if (saved === 'en' || location.hash === '#en') show('en');
  document.querySelectorAll('table.sortable').forEach(function(table){
    var body = table.tBodies[0];
    table.querySelectorAll('th').forEach(function(th, col){
      var asc = true;
      th.addEventListener('click', function(){
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = a.cells[col].dataset.sort || a.cells[col].textContent,
              y = b.cells[col].dataset.sort || b.cells[col].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'zh');
          return asc ? c : -c;
        });
        rows.forEach(function(r){ body.appendChild(r); });
        asc = !asc;
      });
    });
    var box = document.querySelector('[data-filter="' + table.id + '"]');
    var selects = document.querySelectorAll('select[data-table="' + table.id + '"]');
    function filter(){
      var q = box ? box.value.trim().toLowerCase() : '';
      Array.prototype.forEach.call(body.rows, function(r){
        var ok = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
        selects.forEach(function(s){
          if (s.value && r.cells[+s.dataset.col].dataset.value.split('|').indexOf(s.value) < 0) ok = false;
        });
        r.style.display = ok ? '' : 'none';
      });
      var count = document.getElementById(table.id + '-count');
      if (count) count.textContent = Array.prototype.filter.call(body.rows, function(r){
        return r.style.display !== 'none'; }).length;
    }
    if (box) box.addEventListener('input', filter);
    selects.forEach(function(s){ s.addEventListener('change', filter); });
  });
})();
</script>
"""


def head(title_zh: str, title_en: str, text_for_font: str, extra_css: str = "") -> str:
    """``<!doctype …><body class="zh">``: the page's start, its title in both languages."""
    return ("<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title_zh)} / {esc(title_en)}</title>"
            f"<style>{font_face(text_for_font + title_zh)}{CSS}{extra_css}</style></head><body class='zh'>")


def tail(extra: str = "") -> str:
    """The page's scripts (``extra`` after the language switch's: it may
    read the language shown) and its end."""
    return SCRIPT + extra + "</body></html>"


def png_width(path: str | Path, dpi: int = 300) -> int | None:
    """The CSS width (96 px an inch) of a PNG written at ``dpi``: the chart
    shows at the size it was drawn, not stretched to the page."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return round(int.from_bytes(head[16:20], "big") * 96 / dpi)


def figure(png: dict[str, str], alt: dict[str, str], caption: dict[str, str], links: dict[str, str] = (),
           widths: dict[str, int | None] | None = None, interactive: dict[str, str] | None = None,
           name: str = "chart") -> str:
    """One chart: its Chinese and English images (``png[lang]``, a URL or a
    data URI), each with the alt text of its language; ``links``: the other
    formats (label → URL); ``widths``: CSS widths of the images;
    ``interactive``: the chart's plotly figure of each language
    (``charts.interactive.figure_json``), drawn by ``plotly_scripts`` in a
    ``<div class="plot">`` (id ``plot-{name}-{lang}``) in place of the image."""
    widths = widths or {}
    plots = "".join(
        f'<div class="plot {lang}" lang="{"zh-Hans" if lang == "zh" else "en"}" id="plot-{esc(name)}-{lang}" '
        f'data-figure="plot-{esc(name)}-{lang}-data" role="img" aria-label="{esc(alt.get(lang, ""))}"></div>'
        f'<script type="application/json" id="plot-{esc(name)}-{lang}-data">{spec}</script>'
        for lang, spec in (interactive or {}).items())
    imgs = "".join(f'<img class="{lang}" lang="{"zh-Hans" if lang == "zh" else "en"}" loading="lazy" '
                   + (f'width="{widths[lang]}" ' if widths.get(lang) else "")
                   + f'src="{esc(src)}" alt="{esc(alt[lang])}">' for lang, src in png.items())
    more = " · ".join(f'<a href="{esc(url)}">{esc(label)}</a>' for label, url in dict(links).items())
    cls = ' class="interactive"' if plots else ""
    return (f"<figure{cls}>{plots}{imgs}<figcaption>{bi(caption['zh'], caption['en'])}"
            f"{' · ' + more if more else ''}</figcaption></figure>")


def sortable_table(table_id: str, headers: Sequence[tuple[str, str]], rows: Iterable[Sequence],
                   filters: Sequence[int] = (), values: Sequence[Sequence[str]] | None = None,
                   lang_of: Sequence[str | None] = (), row_ids: Sequence[str] | None = None) -> str:
    """A table that sorts by column and filters by text and by ``filters``
    (column indexes; each gets a drop-down of its values). A cell is a str
    (escaped), a ``{"zh": …, "en": …}`` pair, or ``(either, sort_key)``; ``values``: for each row, the
    ``|``-joined filter values of its cells (default: the cell text);
    ``lang_of``: the ``lang`` of each column's cells (None: the page's);
    ``row_ids``: each row's ``id`` (an anchor, e.g. ``rec_anchor(rec_id)``)."""
    rows = [list(r) for r in rows]
    heads = "".join(f"<th>{bi(zh, en)}</th>" for zh, en in headers)
    body, options = [], {c: set() for c in filters}
    for i, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            text, key = cell if isinstance(cell, tuple) else (cell, None)
            both = isinstance(text, dict)  # {"zh": …, "en": …}: shown in the page's language
            value = values[i][c] if values is not None else str(text["zh"] if both else text)
            for c2 in filters:
                if c2 == c:
                    options[c].update(v for v in value.split("|") if v)
            lang = lang_of[c] if c < len(lang_of) and lang_of[c] else None
            attrs = (f' data-sort="{esc(key)}"' if key is not None else "") + f' data-value="{esc(value)}"' + (
                f' lang="{lang}"' if lang else "")
            inner = bi(text["zh"], text["en"]) if both else esc(text)
            cells.append(f"<td{attrs}>{inner}</td>")
        row_id = f' id="{esc(row_ids[i])}"' if row_ids is not None else ""
        body.append(f"<tr{row_id}>" + "".join(cells) + "</tr>")
    selects = "".join(
        f'<label>{bi(*headers[c])} <select data-table="{table_id}" data-col="{c}"><option value="">'
        f'{bi("全部", "all")}</option>' + "".join(f'<option value="{esc(v)}">{esc(v)}</option>'
                                                 for v in sorted(options[c])) + "</select></label>"
        for c in filters)
    box = (f'<div class="filters"><input type="search" data-filter="{table_id}" '
           f'placeholder="筛选 / filter" aria-label="筛选 / filter">{selects}'
           f'<span class="muted"><span id="{table_id}-count">{len(rows)}</span> / {len(rows)}</span></div>')
    return (f'{box}<table class="sortable" id="{table_id}"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def rec_anchor(rec_id: str) -> str:
    """The ``id`` of a recommendation's row in a page's table (what a click
    in a chart scrolls to; ``PLOTLY_SCRIPT`` builds it the same way).

    >>> rec_anchor("11/2:body:4(a)")
    'rec-11/2:body:4(a)'
    """
    return "rec-" + "_".join(str(rec_id).split())


#: Draws the page's plotly figures (``figure(…, interactive=…)``) when their
#: language is shown, and leads a click on a chart to the table's rows.
PLOTLY_SCRIPT = """
<script>
(function(){
  if (!window.Plotly) return;  // plotly.js missing: the images stay
  document.documentElement.classList.add('plotly');
  var config = {displaylogo: false, responsive: true, scrollZoom: false,
                modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d', 'toggleSpikelines'],
                toImageButtonOptions: {format: 'svg'}};
  function lang(){ return document.body.classList.contains('en') ? 'en' : 'zh'; }
  function reveal(rows){
    var hidden = rows.some(function(r){ return r.style.display === 'none'; });
    if (hidden) {  // a filter hides them: clear the filters of their table
      var table = rows[0].closest('table');
      var box = document.querySelector('[data-filter="' + table.id + '"]');
      document.querySelectorAll('select[data-table="' + table.id + '"]').forEach(function(s){ s.value = ''; });
      if (box) { box.value = ''; box.dispatchEvent(new Event('input')); }
    }
  }
  function goTo(ids){
    var rows = String(ids).split('|').map(function(id){
      return document.getElementById('rec-' + id.split(/\\s+/).join('_'));
    }).filter(Boolean);
    if (!rows.length) return;
    reveal(rows);
    document.querySelectorAll('tr.picked').forEach(function(r){ r.classList.remove('picked'); });
    rows.forEach(function(r){ r.classList.add('picked'); });
    rows[0].scrollIntoView({behavior: 'smooth', block: 'center'});
  }
  function draw(){
    document.querySelectorAll('div.plot.' + lang() + ':not([data-drawn])').forEach(function(div){
      var fig = JSON.parse(document.getElementById(div.dataset.figure).textContent);
      div.dataset.drawn = '1';
      Plotly.newPlot(div, fig.data, fig.layout, config).then(function(){
        div.on('plotly_click', function(ev){
          var p = ev && ev.points && ev.points[0];
          if (p && p.customdata) goTo(p.customdata);
        });
      });
    });
  }
  document.addEventListener('cop-lang', draw);
  draw();
})();
</script>
"""


def plotly_scripts(src: str) -> str:
    """plotly.js from ``src`` (a URL relative to the page: a file shipped
    beside it, never a CDN) and the script that draws the figures."""
    if "//" in src:
        raise ValueError(f"plotly.js must be shipped beside the page, not fetched: {src}")
    return f'<script src="{esc(src)}"></script>' + PLOTLY_SCRIPT


def data_uri(path: str | Path, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode()}"


def screenshot(page: str | Path, png: str | Path, *, lang: str = "zh", width: int = 1200, height: int = 3000,
               timeout: float = 120, wait_ms: int = 5000) -> Path | None:
    """A picture of ``page`` as headless Chromium shows it (``lang``: which
    language the switch shows; ``wait_ms``: virtual time the page's scripts
    get, the plotly figures drawn); None when no Chromium is installed. For
    checking the pages by eye; nothing in the package needs it."""
    import shutil
    import subprocess

    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        return None
    png = Path(png)
    url = Path(page).resolve().as_uri() + ("#en" if lang == "en" else "")
    subprocess.run([exe, "--headless", "--no-sandbox", "--hide-scrollbars", f"--screenshot={png}",
                    f"--virtual-time-budget={int(wait_ms)}",
                    f"--window-size={width},{height}", url], check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return png
