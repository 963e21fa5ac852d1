"""The engine: a query is parsed (query.py, within limits.py's bounds), read (../understanding), planned
(plan.py), run over the segments' arrays (execute.py) and collected (collect.py: top-k, totals, coverage,
facets, date sorts; counting.py, delays.py), with snippets for the shown hits only (snippets.py) and every
step under one CPU budget (budget.py). core.Engine ties them together; the surfaces (../cli, ../web,
../watch) call it and nothing below it."""
