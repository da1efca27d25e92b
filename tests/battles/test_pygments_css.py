"""The committed stylesheet for highlighted code is what ``manage.py pygments_css`` writes."""

from pathlib import Path

from django.core.management import call_command

from battles.highlighting import stylesheet

COMMITTED = Path(__file__).resolve().parents[2] / "templates" / "static" / "pygments.css"


def test_committed_stylesheet_matches_the_command(tmp_path: Path) -> None:
    output = tmp_path / "pygments.css"

    call_command("pygments_css", output=output)

    assert output.read_text() == COMMITTED.read_text(), "run: manage.py pygments_css"


def test_stylesheet_has_a_dark_theme_by_system_setting() -> None:
    css = stylesheet()
    light, dark = css.split("@media (prefers-color-scheme: dark) {")

    assert ".highlight .k {" in light and ".highlight .k {" in dark
    assert ".highlight { background: #0d1117" in dark
    assert "pre {" not in css  # nothing outside .highlight
