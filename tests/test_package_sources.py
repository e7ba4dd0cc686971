"""Every module of the package compiles on the Python running the suite, and holds no
string that the newest supported Python (3.13) refuses to compile.

Python 3.13 failed to import the package because a docstring escaped a lone surrogate
(``"\\ud800"``): older Pythons compile such a string, 3.13 does not. The matrix runs this
file on 3.13 (``nox -s django61``), where ``compile()`` itself fails; on every other
Python the second test finds the same string by walking the syntax tree.
"""

import ast
from pathlib import Path

import pytest

import errorregistry

PACKAGE = Path(errorregistry.__file__).resolve().parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_sources_to_check():
    assert len(SOURCES) > 30
    assert PACKAGE / "envelope" / "text.py" in SOURCES  # where the lone surrogate once was


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_compiles(path):
    compile(path.read_bytes(), str(path), "exec")


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_strings_are_valid_unicode(path):
    tree = ast.parse(path.read_bytes(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node.value.encode("utf-8")
            except UnicodeEncodeError as error:
                pytest.fail(f"{path.name}:{node.lineno}: a string holds a lone surrogate ({error.reason}); "
                            "escape the backslash (Python 3.13 refuses to compile it)")
