"""The documentation site keeps up with the code it documents."""

import re
from pathlib import Path

from errorregistry.conf import DEFAULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_settings_reference_has_a_row_for_every_setting():
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", page, re.MULTILINE))
    assert documented == set(DEFAULTS), (
        f"undocumented: {sorted(set(DEFAULTS) - documented)}; no longer settings: {sorted(documented - set(DEFAULTS))}"
    )
