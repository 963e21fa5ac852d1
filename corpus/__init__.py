"""Corpus readers: every form a parliamentary question comes in, turned into one Document model."""
from .model import ANSWERED, UNANSWERED, Document, merge
from .reader import Deduplicator, Problem, ReadResult, bundled_corpus, iter_read, read_file, read_paths

__all__ = [
    "ANSWERED", "UNANSWERED", "Document", "merge", "Deduplicator", "Problem", "ReadResult", "bundled_corpus",
    "iter_read", "read_file", "read_paths",
]
