"""parlsearch: full-text search over the written and oral questions of Belgian parliaments.

One import package with three subpackages, and data flowing one way:
``parlsearch.corpus`` (document model, readers, acquisition) → ``parlsearch.index`` (analysis, schema,
writing) → ``parlsearch.search`` (query language, engine, output, command line).

The repository keeps the layout ``corpus/``, ``index/``, ``search/`` at its top; ``pyproject.toml`` maps
this directory to the ``parlsearch`` package (``package-dir``), so nothing but ``parlsearch`` is installed
at the top of site-packages and a user's own ``index.py`` or ``search/`` cannot shadow it.
"""

__version__ = "0.2.0"

from ._lazy_imports import install as _install_lazy_imports

_install_lazy_imports()  # no TLS/HTTP/email modules in a search process (see _lazy_imports)
