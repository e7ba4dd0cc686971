"""The test matrix: every supported Python with the Django and DRF it is tested against.

The pins cell (Python 3.11, requirements.txt) is ``make test`` itself and is not
repeated here. Each other cell installs requirements-tests.txt with its own exact
Django and DRF, then runs the same suite; with ``DATABASE_URL``/``REDIS_URL`` in the
environment it runs against PostgreSQL and Redis. ``.ci/run`` runs every cell.

    nox -l                          # the sessions
    nox -s floors                   # one cell (a missing interpreter fails, never skips)
    DATABASE_URL=... REDIS_URL=... nox -R -s django61   # again, same venv, PostgreSQL + Redis
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import nox

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["floors", "django60", "django61", "package"]

ROOT = Path(__file__).resolve().parent
NEWEST_PYTHON = "3.13"
NEWEST = {"Django": "6.1.3", "djangorestframework": "3.18.3"}

# name: (python, Django, DRF). The floors are the lowest versions pyproject.toml accepts.
CELLS = {
    "floors": ("3.10", "5.2", "3.17.2"),
    "django60": ("3.12", "6.0.10", "3.18.3"),
    "django61": (NEWEST_PYTHON, NEWEST["Django"], NEWEST["djangorestframework"]),
}

BUILD_TOOLS = ["build==1.6.1", "twine==7.0.0", "check-wheel-contents==0.6.3"]


def _cell(python: str, django: str, drf: str):
    def run_suite(session: nox.Session) -> None:
        session.install("-r", "requirements-tests.txt", f"Django=={django}", f"djangorestframework=={drf}")
        session.install("--no-deps", "-e", ".")
        session.run("python", "-c", "import django, rest_framework, sys; "
                    "print('cell:', sys.version.split()[0], 'Django', django.__version__, 'DRF', rest_framework.__version__)")
        session.run("python", "-m", "pytest", *session.posargs)

    run_suite.__doc__ = f"The suite on Python {python}, Django {django}, DRF {drf}."
    return run_suite


for _name, (_python, _django, _drf) in CELLS.items():
    nox.session(name=_name, python=_python)(_cell(_python, _django, _drf))


@nox.session(python=NEWEST_PYTHON)
def package(session: nox.Session) -> None:
    """Build sdist and wheel, check them, and smoke-test the wheel alone in a clean venv."""
    session.install(*BUILD_TOOLS)
    dist = Path(session.create_tmp()).resolve() / "dist"
    session.run("python", "-c", f"import shutil; shutil.rmtree({str(dist)!r}, ignore_errors=True)")
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    artifacts = sorted(str(path) for path in dist.iterdir())
    session.run("twine", "check", "--strict", *artifacts)
    wheel = next(path for path in artifacts if path.endswith(".whl"))
    session.run("check-wheel-contents", wheel)
    check_sdist(session, next(path for path in artifacts if path.endswith(".tar.gz")))

    # A clean venv (not this session's, which holds the build tools) with the wheel and
    # only what it declares, at the newest Django and DRF.
    clean = Path(session.create_tmp()).resolve() / "clean-venv"
    session.run("python", "-c", f"import shutil; shutil.rmtree({str(clean)!r}, ignore_errors=True)")
    session.run("python", "-m", "venv", str(clean))
    python = str(clean / "bin" / "python")
    constraints = Path(session.create_tmp()).resolve() / "newest.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in NEWEST.items()))
    session.run(python, "-m", "pip", "install", "--quiet", "-c", str(constraints), wheel, external=True)
    session.run(python, "-m", "pip", "list", "--format=freeze", external=True)
    smoke = ROOT / ".ci" / "smoke"
    session.chdir(session.create_tmp())  # never import the source tree instead of the wheel
    session.run(python, str(smoke / "check.py"), external=True,
                env={"PYTHONPATH": str(smoke), "DJANGO_SETTINGS_MODULE": "smoke_settings"})


def check_sdist(session: nox.Session, sdist: str) -> None:
    """The sdist ships what the wheel is built from, the licence and changelog, and no tests
    (the suite needs the demo project and the repository's fixtures: run it from a clone)."""
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "errorregistry/py.typed"} - names
    stray = sorted(name for name in names if name.split("/")[0] in {"tests", "project", "bench", "docs", ".ci"})
    if missing or stray:
        session.error(f"sdist {sdist}: missing {sorted(missing)}, unexpected {stray[:10]}")
    session.log(f"sdist: {len(names)} entries, LICENSE/CHANGELOG/py.typed present, no tests")
