"""A search process imports no network or TLS module, and whoosh keeps working for everyone else."""
import subprocess
import sys



CHECK = """
import sys
{before}
import parlsearch.search.engine.core
bad = sorted(m for m in ("ssl", "http.client", "email.parser", "urllib.request", "whoosh.lang.morph_en")
             if m in sys.modules)
print(",".join(bad))
"""


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_engine_import_pulls_no_network_modules():
    assert _run(CHECK.format(before="")) == ""


def test_nothing_changes_when_urllib_request_is_already_loaded():
    out = _run(CHECK.format(before="import urllib.request"))
    assert "urllib.request" in out and "ssl" in out
    assert _run("import urllib.request, parlsearch, whoosh.compat as c; "
                "print(c.urlretrieve is urllib.request.urlretrieve)") == "True"


def test_later_imports_get_the_real_module_and_whoosh_urlretrieve_works(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("payload")
    code = ("import parlsearch.search.engine.core, sys, whoosh.compat as c\n"
            "assert 'urllib.request' not in sys.modules\n"
            "c.urlretrieve(%r, %r)\n"
            "import urllib.request\n"
            "assert urllib.request.urlopen and type(urllib.request).__name__ == 'module'\n"
            "assert c.urlretrieve is not urllib.request.urlretrieve\n"
            "print(open(%r).read())" % (source.as_uri(), str(tmp_path / "b.txt"), str(tmp_path / "b.txt")))
    assert _run(code) == "payload"


def test_cli_search_process_imports_no_network_modules(bundled_index):
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "parlsearch", "search", "--index",
                          str(bundled_index), "vélo"], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr[-500:]
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"ssl", "http.client", "email.parser", "urllib.request"}


def test_whoosh_variations_still_work_after_deferring_morphology():
    code = ("import parlsearch.search.engine.core, sys\n"
            "assert 'whoosh.lang.morph_en' not in sys.modules\n"
            "from whoosh.query import Variations\n"
            "from whoosh.query.terms import variations\n"
            "print(sorted(variations('render'))[:3])\n"
            "import whoosh.lang.morph_en as m\n"
            "assert type(m).__name__ == 'module' and m.variations is not variations")
    assert _run(code) == str(sorted(__import__("whoosh.lang.morph_en", fromlist=["x"]).variations("render"))[:3])


def test_finder_is_installed_once():
    code = "import sys, parlsearch, importlib; importlib.reload(parlsearch); " \
           "print(sum(type(f).__name__ == '_Finder' for f in sys.meta_path))"
    assert _run(code) == "1"
