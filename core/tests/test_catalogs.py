"""Every FR catalog is complete (nothing untranslated or fuzzy) and its compiled .mo is up to date."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CATALOGS = sorted(
    path.relative_to(BASE_DIR)
    for path in BASE_DIR.glob("**/locale/fr/LC_MESSAGES/django.po")
    if ".venv" not in path.parts
)

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")


def test_there_are_catalogs():
    assert Path("portal/locale/fr/LC_MESSAGES/django.po") in CATALOGS


@pytest.mark.parametrize("catalog", CATALOGS, ids=str)
def test_catalog_is_complete_and_compiled(catalog, tmp_path):
    source = BASE_DIR / catalog
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", compiled, source],
        capture_output=True,
        text=True,
        check=True,
        env={"LC_ALL": "C"},
    )

    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr
    assert compiled.read_bytes() == source.with_suffix(".mo").read_bytes(), "run `make messages`"
