"""`bench/benchmark.py --quality JUDGMENTS.jsonl`: search quality on judged queries, parlsearch against SQLite
FTS5 and whoosh out of the box, on the bundled corpus.

Three indexes of the bundled corpus (corpus/data): parlsearch (its numbers come from search.engine.Engine and
search.evaluate), whoosh with its stock StemmingAnalyzer on the same text fields searched by a plain
MultifieldParser (AND of the words), and FTS5 as bench/fts5.py builds and queries it. The judged queries
({"id", "kind", "q", "expect": [moncode or id] or null, "max_rank"}) run on each through search.evaluate;
printed: the passes per kind side by side, and the MRR.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from fts5 import Fts5Searcher, build_fts5, load_documents
from report import table


class StockWhoosh:
    """whoosh out of the box: StemmingAnalyzer on the text fields, MultifieldParser (AND of words), BM25F."""

    TEXT = ("subject", "title_nl", "question", "answer", "body_nl", "portfolio", "author", "minister")

    def __init__(self, docs, path: Path):
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.qparser import MultifieldParser
        schema = fields.Schema(id=fields.ID(stored=True, unique=True), moncode=fields.ID(stored=True),
                               **{name: fields.TEXT(analyzer=StemmingAnalyzer()) for name in self.TEXT})
        path.mkdir(parents=True, exist_ok=True)
        self.ix = index.create_in(str(path), schema)
        with self.ix.writer() as w:
            for d in docs:
                body_nl = "\n".join(t for t in (d.question_nl, d.answer_nl) if t)
                values = {"id": d.id, "moncode": d.moncode or "", "subject": d.subject, "title_nl": d.title_nl,
                          "question": d.question, "answer": d.answer, "body_nl": body_nl,
                          "portfolio": d.portfolio, "author": d.author, "minister": d.minister}
                w.add_document(**{k: v for k, v in values.items() if v})
        self.parser = MultifieldParser(list(self.TEXT), schema)
        self.searcher = self.ix.searcher()

    def search(self, query: str, limit: int = 10):
        from parlsearch.search.engine.query import QueryError
        try:
            q = self.parser.parse(query)
            results = self.searcher.search(q, limit=limit)
        except Exception as e:
            raise QueryError("whoosh: %s" % e) from None
        hits = [SimpleNamespace(doc=SimpleNamespace(id=h["id"], moncode=h.get("moncode") or None))
                for h in results]
        return SimpleNamespace(total=len(results), hits=hits)

    def close(self):
        self.searcher.close()
        self.ix.close()


def bench_quality(judgments: Path, work: Path, log) -> dict:
    from parlsearch.corpus.reader import bundled_corpus
    from parlsearch.index.update import update_index
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.evaluate import evaluate, load_judgments
    cases = load_judgments(judgments)
    docs = load_documents([bundled_corpus()])
    log("quality: %d judged queries on the bundled corpus (%d documents)" % (len(cases), len(docs)))
    ix_dir = work / "quality-parlsearch"
    shutil.rmtree(ix_dir, ignore_errors=True)
    update_index(None, ix_dir, rebuild=True)
    db = work / "quality_fts5.db"
    build_fts5([bundled_corpus()], db)
    shutil.rmtree(work / "quality-whoosh", ignore_errors=True)
    engines = {"parlsearch": Engine.open(ix_dir), "whoosh-stock": StockWhoosh(docs, work / "quality-whoosh"),
               "fts5": Fts5Searcher(db)}
    reports = {}
    try:
        for name, engine in engines.items():
            reports[name] = evaluate(engine, cases)
    finally:
        for engine in engines.values():
            engine.close()
    return {"judgments": str(judgments), "documents": len(docs), "cases": len(cases),
            "engines": {name: r.to_dict() for name, r in reports.items()}}


def format_quality(q: dict) -> str:
    names = list(q["engines"])
    kinds = sorted({k for e in q["engines"].values() for k in e["by_kind"]})
    rows = []
    for kind in kinds:
        total = next(e["by_kind"][kind]["total"] for e in q["engines"].values() if kind in e["by_kind"])
        rows.append([kind, str(total)] + ["%d" % q["engines"][n]["by_kind"].get(kind, {"passed": 0})["passed"]
                                          for n in names])
    rows.append(["all", str(q["cases"])] + ["%d" % q["engines"][n]["passed"] for n in names])
    rows.append(["MRR", ""] + ["%.3f" % q["engines"][n]["mrr"] for n in names])
    lines = ["", "Quality: %s (%d judged queries) on the bundled corpus (%d documents); passes per kind"
             % (q["judgments"], q["cases"], q["documents"])]
    lines += table(["kind", "queries"] + names, rows)
    return "\n".join(lines)
