"""Saved searches (`parlsearch watch`): what is new or newly answered since the last run (saved.py), as
text, JSON or Atom feeds (atom.py)."""
