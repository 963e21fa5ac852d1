"""Keep modules a search never uses out of a search process, without changing what whoosh does.

Two whoosh modules import something at load time only to re-export one function that searching never
calls (measured with `python -X importtime -m parlsearch search`, issue 13):

* whoosh.compat does `from urllib.request import urlretrieve`, which loads ssl, http.client, email and
  socket (~28 ms of a cold search on an idle machine);
* whoosh.query.terms does `from whoosh.lang.morph_en import variations` (English morphology for the
  Variations query), which compiles a large table of regular expressions (~5 ms).

A finder on sys.meta_path watches for exactly those two importers. When one is being loaded and its
dependency is not loaded yet, the importer runs against a stand-in module whose attributes load the real
module on first use and delegate to it; the stand-in leaves sys.modules as soon as the importer is loaded.
So `whoosh.compat.urlretrieve(...)` and `Variations` still work (they load the real module when called),
every later `import urllib.request` anywhere gets the real module, and nothing changes when the
dependency was already imported. install() is idempotent and costs nothing until whoosh is imported.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

#: importer → (dependency, the names the importer takes from it)
DEFERRED = {
    "whoosh.compat": ("urllib.request", ("urlretrieve",)),
    "whoosh.query.terms": ("whoosh.lang.morph_en", ("variations",)),
}


class _DeferredModule(types.ModuleType):
    """A module imported on first attribute use."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):  # the import system's probes (__path__…)
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str):
    module = sys.modules.get(name)
    if module is None or isinstance(module, _DeferredModule):
        sys.modules.pop(name, None)
        module = importlib.import_module(name)
    return module


def _forwarder(module: str, attr: str):
    def call(*args, **kwargs):
        return getattr(_real(module), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    call.__doc__ = "%s.%s, imported on first call (see parlsearch._lazy_imports)" % (module, attr)
    return call


class _Loader(importlib.abc.Loader):
    """Runs the importer's own loader with the stand-in dependency in place."""

    def __init__(self, inner, dependency: str, names):
        self.inner, self.dependency, self.names = inner, dependency, names

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        if self.dependency in sys.modules:
            return self.inner.exec_module(module)
        stand_in = _DeferredModule(self.dependency, "deferred (see parlsearch._lazy_imports)")
        for name in self.names:
            setattr(stand_in, name, _forwarder(self.dependency, name))
        sys.modules[self.dependency] = stand_in
        try:
            self.inner.exec_module(module)
        finally:
            if sys.modules.get(self.dependency) is stand_in:
                del sys.modules[self.dependency]

    def __getattr__(self, name):  # get_source, get_code, is_package… of the real loader
        return getattr(self.inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        rule = DEFERRED.get(fullname)
        if rule is None or rule[0] in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader, *rule)
        return spec


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
