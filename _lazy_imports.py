"""Keep the network stack out of a search process: whoosh.compat imports urllib.request (and with it
ssl, http.client, email: ~28 ms of a cold `parlsearch search`, issue 13) only to re-export urlretrieve,
which whoosh itself never calls.

Before whoosh is first imported, and only if nothing imported urllib.request yet, whoosh.compat is
imported against a stand-in module whose urlretrieve (and any other attribute) imports the real
urllib.request on first use and delegates to it. The stand-in is taken out of sys.modules as soon as
whoosh.compat is loaded, so every later `import urllib.request` anywhere gets the real module;
whoosh.compat.urlretrieve still works (it loads the real one when called). Nothing changes when
urllib.request or whoosh.compat is already loaded.
"""
from __future__ import annotations

import importlib
import sys
import types

_NAME = "urllib.request"


class _DeferredModule(types.ModuleType):
    """urllib.request, imported on first attribute use."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):  # the import system's probes (__path__…)
            raise AttributeError(name)
        return getattr(_real_urllib_request(self), name)


def _real_urllib_request(stand_in=None):
    module = sys.modules.get(_NAME)
    if module is None or isinstance(module, _DeferredModule):
        sys.modules.pop(_NAME, None)
        module = importlib.import_module(_NAME)
    return module


def _urlretrieve(*args, **kwargs):
    return _real_urllib_request().urlretrieve(*args, **kwargs)


def import_whoosh_without_network() -> None:
    if "whoosh.compat" in sys.modules or _NAME in sys.modules:
        return
    stand_in = _DeferredModule(_NAME, "deferred urllib.request (see parlsearch._lazy_imports)")
    stand_in.urlretrieve = _urlretrieve
    sys.modules[_NAME] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get(_NAME) is stand_in:
            del sys.modules[_NAME]
