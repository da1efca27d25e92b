"""manage.py compute_ratings: files in, leaderboard out."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.ratings.helpers import SHARED_DATA, require_shared_data

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = SHARED_DATA


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("compute_ratings", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _json(tmp_path: Path, *args: str) -> dict:
    target = tmp_path / "out.json"
    _run(*args, "--output", str(target))
    return json.loads(target.read_text())


def test_table_on_stdout():
    out, _ = _run("--input", str(FIXTURES / "arena_votes.csv"))
    assert "== overall (6 votes) ==" in out
    assert "alpha" in out and "95% CI" in out


def test_json_output_shape(tmp_path):
    result = _json(tmp_path, "--input", str(FIXTURES / "fastchat_battles.jsonl"))
    assert result["method"]["scale"] == 400 and result["method"]["ci"] == "sandwich"
    assert "overall" in result["categories"] and "language_english" in result["categories"]
    assert result["input"]["format"] == "fastchat"
    assert result["input"]["dropped"]["not_anonymous"] == 1
    row = result["categories"]["overall"]["rows"][0]
    assert set(row) == {
        "model",
        "rating",
        "ci_lower",
        "ci_upper",
        "rank",
        "rank_ub",
        "votes",
        "win_rate",
    }


def test_anchor_pins_the_model(tmp_path):
    result = _json(tmp_path, "--input", str(FIXTURES / "pairs.csv"), "--anchor", "beta=1114")
    rows = {r["model"]: r for r in result["categories"]["overall"]["rows"]}
    assert rows["beta"]["rating"] == 1114.0


def test_categories_option(tmp_path):
    result = _json(
        tmp_path, "--input", str(FIXTURES / "arena_votes.csv"), "--categories", "math,overall"
    )
    assert list(result["categories"]) == ["math", "overall"]
    with pytest.raises(CommandError, match="coding"):
        _run("--input", str(FIXTURES / "arena_votes.csv"), "--categories", "coding")


def test_bootstrap_with_seed_is_reproducible(tmp_path):
    args = ("--input", str(FIXTURES / "pairs.csv"), "--ci", "bootstrap", "--rounds", "30")
    one = _json(tmp_path, *args, "--seed", "4")
    two = _json(tmp_path, *args, "--seed", "4")
    assert one["categories"] == two["categories"]
    assert one["method"]["rounds"] == 30 and one["method"]["seed"] == 4


def test_malformed_rows(tmp_path):
    with pytest.raises(CommandError, match="line 3"):
        _run("--input", str(FIXTURES / "arena_bad.csv"))
    out, err = _run("--input", str(FIXTURES / "arena_bad.csv"), "--skip-bad")
    assert "skipped 2 malformed row(s)" in err
    assert "== overall" in out


def test_style_control_needs_style_features():
    with pytest.raises(CommandError, match="style features"):
        _run("--input", str(FIXTURES / "arena_votes.csv"), "--style-control")
    with pytest.raises(CommandError, match="style features"):
        _run("--input", str(FIXTURES / "pairs.csv"), "--style-control")


def test_style_control_on_fastchat(tmp_path):
    result = _json(
        tmp_path,
        "--input",
        str(FIXTURES / "fastchat_battles.json"),
        "--style-control",
        "--categories",
        "overall",
    )
    coefs = result["categories"]["overall"]["style_coefficients"]
    assert set(coefs) == {"length", "headers", "lists", "bold"}


def test_online_elo(tmp_path):
    result = _json(
        tmp_path,
        "--input",
        str(FIXTURES / "fastchat_battles.json"),
        "--online-elo",
        "--categories",
        "overall",
    )
    assert set(result["online_elo"]["overall"]) == {"alpha", "beta", "gamma"}


def test_bad_arguments():
    with pytest.raises(CommandError, match="MODEL=RATING"):
        _run("--input", str(FIXTURES / "pairs.csv"), "--anchor", "beta")
    with pytest.raises(CommandError, match="does not appear"):
        _run("--input", str(FIXTURES / "pairs.csv"), "--anchor", "nobody=1000")
    with pytest.raises(CommandError, match="no such file"):
        _run("--input", str(FIXTURES / "missing.csv"))


def test_anchor_on_the_public_pair_counts(tmp_path):
    require_shared_data(SHARED / "chatbotarena_20240814_pairs.csv")
    path = str(SHARED / "chatbotarena_20240814_pairs.csv")
    free = _json(tmp_path, "--input", path, "--categories", "overall")
    pinned = _json(
        tmp_path,
        "--input",
        path,
        "--categories",
        "overall",
        "--anchor",
        "mixtral-8x7b-instruct-v0.1=1114",
    )
    free_by = {r["model"]: r["rating"] for r in free["categories"]["overall"]["rows"]}
    pinned_by = {r["model"]: r["rating"] for r in pinned["categories"]["overall"]["rows"]}
    assert pinned_by["mixtral-8x7b-instruct-v0.1"] == 1114.0
    shift = 1114.0 - free_by["mixtral-8x7b-instruct-v0.1"]
    assert all(abs(pinned_by[m] - free_by[m] - shift) < 1e-9 for m in free_by)
