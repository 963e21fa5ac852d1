"""Judged queries: how well search answers them (pass/fail within a rank, per kind, MRR).

A judgments file has one JSON object per line: {"id", "kind", "q", "expect", "max_rank"?}; `expect` lists
acceptable documents by document id, official code (moncode) or official identifier (the Chamber's
http://data.dekamer.be/v0/qrva/… URI, or its key alone: any reference an assembly resolves to a document,
corpus.assembly.document_id_of), and null means "no result" is right.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .engine.query import QueryError


@dataclass
class CaseResult:
    id: str
    kind: str
    query: str
    expect: list[str] | None
    max_rank: int
    rank: int | None  # rank of the first acceptable hit, None when absent
    total: int
    top: list[str]
    passed: bool
    error: str | None = None


@dataclass
class EvalReport:
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def mrr(self) -> float:
        ranked = [c for c in self.cases if c.expect is not None]
        return sum(1.0 / c.rank for c in ranked if c.rank) / len(ranked) if ranked else 0.0

    def by_kind(self) -> dict[str, tuple[int, int]]:
        out = defaultdict(lambda: [0, 0])
        for c in self.cases:
            out[c.kind][0] += c.passed
            out[c.kind][1] += 1
        return {k: tuple(v) for k, v in sorted(out.items())}

    def to_dict(self) -> dict:
        return {"passed": self.passed, "total": len(self.cases), "mrr": round(self.mrr, 4),
                "by_kind": {k: {"passed": p, "total": t} for k, (p, t) in self.by_kind().items()},
                "cases": [c.__dict__ for c in self.cases]}


def load_judgments(path) -> list[dict]:
    cases = []
    for n, line in enumerate(Path(path).read_text("utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            case["q"], case["id"]  # noqa: B018  (required keys)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError("%s, line %d: not a judged query (%s)" % (path, n, e)) from None
        cases.append(case)
    return cases


def accepted(expect: list[str]) -> set[str]:
    """The names under which a hit is one of the expected documents: each as given, and the document id an
    official reference names."""
    from ..corpus.assembly import document_id_of
    return set(expect) | {doc_id for doc_id in map(document_id_of, expect) if doc_id}


def matches(doc, want: set[str]) -> bool:
    """Whether a hit's document is one of `want` (accepted's names); the document may be another engine's
    (bench/: an id and a moncode only)."""
    return doc.id in want or doc.moncode in want or getattr(doc, "official_id", None) in want


def evaluate(engine, cases: list[dict], limit: int = 10) -> EvalReport:
    report = EvalReport()
    for case in cases:
        expect = case.get("expect")
        max_rank = int(case.get("max_rank", 3))
        error, hits, total = None, [], 0
        try:
            result = engine.search(case["q"], limit=limit)
            hits, total = result.hits, result.total
        except QueryError as e:
            error = str(e)
        top = [h.doc.moncode or h.doc.id for h in hits]
        rank = None
        if expect is None:
            passed = error is None and not hits
        else:
            want = accepted(expect)
            rank = next((i for i, h in enumerate(hits, 1) if matches(h.doc, want)), None)
            passed = rank is not None and rank <= max_rank
        report.cases.append(CaseResult(case["id"], case.get("kind", "?"), case["q"], expect, max_rank, rank, total,
                                       top[:3], passed, error))
    return report
