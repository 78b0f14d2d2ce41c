"""Reading an HTML page as a person sees it: visible text per language, figures, links."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"
WRITTEN = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"


def run_corpus(tmp_path_factory, name, files):
    """Run the pipeline over copies of ``files`` in a fresh folder; the run's tables (``explore.load``)."""
    from analysis import pipeline
    from analysis.explore import load

    raw = tmp_path_factory.mktemp(f"{name}_raw")
    for f in files:
        shutil.copy(f, raw / f.name)
    out = tmp_path_factory.mktemp(f"{name}_out")
    pipeline.run([raw], out, pipeline.RunSettings(overrides=None, progress=False))
    return load(out)

#: Internal names that must never reach a reader (whole words).
CODES = re.compile(r"\b(?:LEG|TA|COOP|ML|EVID|PROS|VICT|GHR|PREV|DATA|REV|RES|TIP|SOM|FIR|Body|States|None|nan|NaN)\b")


class Page(HTMLParser):
    """``text["zh"]``/``text["en"]``: what shows with each language chosen
    (elements of the other language's class hidden); ``figures``: the
    images of each ``<figure>``; ``ids``, ``links``, ``tags``."""

    VOID = {"img", "br", "meta", "input", "hr", "link"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.text = {"zh": [], "en": []}
        self.figures: list[list[dict]] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.html_lang = None
        self.feed(html)
        self.text = {k: " ".join(v) for k, v in self.text.items()}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "figure":
            self.figures.append([])
        if tag == "img" and self.figures and any(t == "figure" for t, _ in self.stack):
            self.figures[-1].append(a)
        if tag == "img" and a.get("alt"):
            own = set((a.get("class") or "").split())
            for lang in [lg for lg in self._shown() if ({"zh", "en"} - {lg}).isdisjoint(own)]:
                self.text[lang].append(a["alt"])
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def _shown(self):
        classes = {c for t, a in self.stack if t != "body" for c in (a.get("class") or "").split()}
        if any(t in ("style", "script", "title") for t, _ in self.stack):
            return []
        return [lang for lang in ("zh", "en") if ({"zh", "en"} - {lang}).isdisjoint(classes)]

    def handle_data(self, data):
        if data.strip():
            for lang in self._shown():
                self.text[lang].append(data.strip())
