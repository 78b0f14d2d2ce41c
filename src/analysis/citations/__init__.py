"""Citations: what each paragraph of a resolution refers to, and the map they make.

Contract
--------
``extract_citations(paragraphs) -> DataFrame`` takes the paragraphs table
(``tables.PARAGRAPHS``: every paragraph, footnotes included) and returns the
``citations`` table, one row per cited item, in document order:

``para_id, rec_id, resolution, source_file, citation_type, cited_kind, cited,
cited_body, span_start, span_end, context`` + ``detail``, ``normalised``,
``body_inferred``, ``referenced_by``, ``citing_body``, ``cited_unit_kind``,
``cited_key``, ``body_source``

* ``cited_kind`` is one of ``resolution`` (第10/4号决议, 大会第70/1号决议 …,
  and decisions: 第10/1号决定, see ``cited_unit_kind``), ``document`` (UN
  document symbols: CTOC/COP/WG.2/2022/4, A/RES/55/25 …; a
  combined symbol ``X-Y`` is two documents), ``date`` (2020年10月16日, ranges
  such as 2022年5月23日至27日), ``treaty`` (《条约汇编》第2225卷, one row per
  volume, ``同上`` resolved to the previous series of the same document) and
  ``article`` (第6条, 第29和30条: one row per article; 至 ranges expanded);
* ``cited`` is the item as written, spaces removed (``10/4``,
  ``CTOC/COP/WG.2/2022/4``, ``2022年5月23日至27日``, ``《条约汇编》第2225卷``,
  ``第6条``); ``normalised`` a comparable key (ISO dates, article numbers);
* ``cited_unit_kind`` (resolution rows only, else None): ``resolution`` or
  ``decision``. A decision stays ``cited_kind="resolution"`` — it is the
  same kind of reference, an adopted text of a body — and keeps its ``决定``
  in ``detail`` as well;
* ``cited_body``: the body that adopted a cited resolution (canonical name,
  ``lexicon/citation_bodies.yaml``), the instrument of an article when it is
  named (``打击有组织犯罪公约``), else None;
* ``cited_key``: the unit key of a cited resolution or decision of one of the
  bodies the project reads (``analysis.bodies``: ``10/4``, ``dec.10/1``,
  ``GA.55/25``, ``ECOSOC.1996/27``, ``CCPCJ.26/3``), the key the cited unit
  has in the ``resolution`` column when it is in the corpus; None for other
  bodies (安全理事会, 人权理事会 …) and other kinds;
* ``body_source`` (resolution rows only) says how ``cited_body`` was read, and
  ``body_inferred`` is True when the text does not spell it out
  (``own``, ``back_reference``, ``year_number``):

  - ``named``: a listed body stands in front of the number, possibly with
    the adoption date, the title, the subject or the session between
    (经济及社会理事会1996年7月24日第1996/27号决议, 大会题为“…”的第…号决议,
    大会关于…的第…号决议, 大会在其…第55/25号决议中); a resolution listed after
    another (大会第55/25号决议和2001年5月31日第55/255号决议) shares its body;
  - ``unlisted``: a body outside the lexicon, read by its ending (…委员会) and
    logged so an analyst can list it;
  - ``back_reference``: a body named by its kind alone (理事会, 该委员会): the
    body of that kind named before it (see ``back_reference_heads`` in the
    lexicon for the order in which the paragraph, the acting body and the
    preceding paragraphs of the unit are searched); ``unresolved`` when
    none is found (``cited_body`` is then the word as written, 理事会);
  - ``own``: no body (第10/4号决议) or 其 (回顾其…第49/159号决议): the citing
    unit's acting body, read from ``acting_body`` with ``bodies.body_of``
    (from the unit key when the row has none);
  - ``year_number``: a number with a four-digit year first (1996/27) is
    ECOSOC's numbering, unless a body is named in front of it (a bare
    理事会 the Council could answer to does not count);
* ``citation_type`` is the paragraph's opening verb (回顾, 注意到, 欢迎, 核可 …),
  or its kind when it has none (``recommendation``, ``footnote``,
  ``annex_title`` …); a footnote's ``referenced_by`` lists the paragraphs
  that carry its mark;
* ``span_start``/``span_end`` are offsets into the paragraph's ``text`` of the
  whole expression the item was read from (``第5/5号和第6/1号决议`` for both
  5/5 and 6/1, from the body when one is written); ``context`` is that
  expression with 20 characters each side;
  ``detail`` keeps what narrows the reference (``附件``, ``第8段``, ``第39574号``);
* ``citing_body`` is the canonical name of the citing paragraph's acting body.

``citation_graph(citations)`` builds a ``networkx.DiGraph`` from citing
resolution to cited resolution / document / treaty volume; nodes carry
``kind``, ``label``, ``body``, ``in_corpus`` (and ``unit_kind`` for
resolutions); edges ``count`` and ``types``. A resolution's node id is its
unit key (``resolution_node``), so resolutions of different bodies never
merge and a cited resolution of the corpus is the node of the resolution
itself.
``citation_network`` gives the same nodes and edges as plain dicts.
``write_graphml(graph, path)`` writes it for Gephi/yEd.

Why it is built this way
------------------------
References follow a handful of UN drafting patterns, not the wording of any
resolution, so each kind is one regular expression over the paragraph text.
The reader folds widths and removes the spaces next to Chinese characters,
but tables and paragraphs pasted from elsewhere may not have been through it:
the expressions accept spaces anywhere a typist puts them, and full-width
digits, Latin letters and slashes are folded one for one before matching so
offsets still point into the original text.

Which body a number belongs to follows how UN resolutions are drafted: the
adopting body is written in front of the number (with its date or title
between), a text refers to itself as 其 and to a body just named by its kind
(理事会), and ECOSOC alone numbers by year. The lexicon of citable bodies is
tied to ``bodies.yaml`` (one list of the bodies the project reads, their
spellings and key format) and refuses to disagree with it.

Where it is
-----------
* ``patterns``: width folding and the regular expressions of each kind;
* ``citable``: the lexicon of citable bodies (``load_bodies``,
  ``citation_bodies.yaml`` tied to ``bodies.yaml``);
* ``extract``: ``extract_citations``, the rules that read each reference
  and its body;
* ``network``: the graph of who cites what (``citation_network``,
  ``citation_graph``) and its GraphML (``graphml_text``, ``write_graphml``).

The package re-exports their public names (``__all__``), so
``from analysis.citations import name`` works whichever module holds it.
"""

from .citable import BODIES_FILE, Bodies, load_bodies
from .extract import CITATION_COLUMNS, CITED_KINDS, CONTEXT_CHARS, extract_citations
from .network import citation_graph, citation_network, graphml_text, resolution_node, write_graphml
from .patterns import (
    ARTICLE_RE,
    DATE_RE,
    DOCUMENT_RE,
    RESOLUTION_RE,
    SYMBOL_RE,
    TREATY_RE,
    fold_width,
)

__all__ = [
    "CITATION_COLUMNS", "CITED_KINDS", "CONTEXT_CHARS", "extract_citations",
    "BODIES_FILE", "Bodies", "load_bodies",
    "ARTICLE_RE", "DATE_RE", "DOCUMENT_RE", "RESOLUTION_RE", "SYMBOL_RE", "TREATY_RE", "fold_width",
    "citation_graph", "citation_network", "graphml_text", "resolution_node", "write_graphml",
]
