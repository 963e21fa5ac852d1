"""The layout of the test suite: shared helpers live in tests/helpers.py (functions) and tests/conftest.py
(fixtures), so that a test file never imports another test file or conftest.py (a test file imported by another
is collected twice under -n, and deleting or renaming it breaks files that only borrowed its helpers)."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, at any depth (imports inside functions count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_file_imports_another_test_file_or_conftest():
    borrowed = {path.name: sorted(name for name in imported_modules(path)
                                  if name.startswith("test_") or name in ("conftest", "tests"))
                for path in sorted(TESTS.glob("*.py"))}
    assert {name: modules for name, modules in borrowed.items() if modules} == {}


def test_the_layout_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("import os\n\ndef test_x():\n    from test_other import helper\n    import conftest\n")
    assert imported_modules(sample) == {"os", "test_other", "conftest"}
