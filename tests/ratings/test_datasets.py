"""Vote file readers: formats, categories, style features, malformed rows."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ratings.datasets import DatasetError, detect_format, load_votes

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("fastchat_battles.json", "fastchat"),
        ("fastchat_battles.jsonl", "fastchat"),
        ("arena_votes.csv", "arena-csv"),
        ("arena_votes.csv.gz", "arena-csv"),
        ("pairs.csv", "pairs"),
        ("pairs.csv.gz", "pairs"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_fastchat_json_and_jsonl_agree():
    one = load_votes(FIXTURES / "fastchat_battles.json")
    two = load_votes(FIXTURES / "fastchat_battles.jsonl")
    assert one.counts.categories == two.counts.categories
    np.testing.assert_array_equal(one.counts.wins, two.counts.wins)
    np.testing.assert_array_equal(one.counts.ties, two.counts.ties)


def test_fastchat_counts_and_filters():
    votes = load_votes(FIXTURES / "fastchat_battles.json")
    counts = votes.counts
    assert votes.format == "fastchat"
    # one non-anonymous battle and one not in the deduplicated sample are left out
    assert votes.dropped["not_anonymous"] == 1 and votes.dropped["dedup_not_sampled"] == 1
    assert counts.models == ["alpha", "beta", "gamma"]
    overall = counts.category_index("overall")
    assert counts.n_battles[overall] == 10
    wins = counts.wins[overall]
    assert wins[0, 1] == 1 and wins[1, 0] == 1  # alpha and beta beat each other once
    assert wins[0, 2] == 2 and wins[2, 0] == 0
    assert wins[1, 2] == 2 and wins[2, 1] == 1
    assert counts.ties[overall, 0, 2] == 2 and counts.ties[overall, 2, 0] == 2
    assert counts.ties[overall, 0, 1] == 1
    assert counts.bothbad is not None and counts.bothbad[overall, 0, 1] == 1


def test_fastchat_categories_follow_lmarena_definitions():
    counts = load_votes(FIXTURES / "fastchat_battles.json").counts
    sizes = dict(zip(counts.categories, counts.n_battles.tolist(), strict=True))
    assert sizes == {
        "overall": 10,
        "coding": 3,  # is_code
        "math": 2,
        "instruction_following": 2,
        "creative_writing": 1,
        "hard_prompts": 3,  # at least 6 of the 7 criteria
        "longer_query": 3,  # sum_user_tokens > 500
        "multi_turn": 3,  # turn > 1
        "exclude_ties": 7,
        "language_chinese": 2,
        "language_english": 6,
        "language_german": 1,  # "unknown" gets no category
    }


def test_fastchat_style_features_and_vote_order():
    battles = load_votes(FIXTURES / "fastchat_battles.json").battles
    assert battles is not None and battles.style is not None
    # first battle: answer tokens 500 vs 200, headers 2/0, lists 3/1, bold 4/0
    assert battles.style[0].tolist() == [500, 2, 3, 4, 200, 0, 1, 0]
    assert battles.models[battles.model_a[0]] == "alpha"


def test_arena_csv_categories():
    votes = load_votes(FIXTURES / "arena_votes.csv")
    sizes = dict(zip(votes.counts.categories, votes.counts.n_battles.tolist(), strict=True))
    assert sizes == {
        "overall": 6,
        "math": 2,
        "instruction_following": 2,  # a missing flag counts as not tagged
        "creative_writing": 2,
        "hard_prompts": 3,
        "exclude_ties": 4,
    }
    assert votes.battles is not None and votes.battles.style is None


def test_language_codes_and_names_share_one_category_and_500_tokens_is_not_longer(tmp_path):
    # The 140k file writes ISO codes ("en"), FastChat's files names ("English").
    path = tmp_path / "votes.csv"
    path.write_text(
        "id,model_a,model_b,winner,language,conv_metadata.sum_user_tokens\n"
        "1,a,b,model_a,en,500\n"
        "2,a,b,model_b,English,501\n"
        "3,a,b,tie,zh,10\n"
        "4,a,b,tie,<err>,10\n"
        "5,a,b,tie,und,10\n"
        "6,a,b,tie,Italian,10\n"
    )
    counts = load_votes(path).counts
    sizes = dict(zip(counts.categories, counts.n_battles.tolist(), strict=True))
    assert sizes["language_english"] == 2 and sizes["language_chinese"] == 1
    # no language, or one without a leaderboard category (as live): no language category
    assert not {"language_<err>", "language_und", "language_unknown"} & set(sizes)
    assert "language_italian" not in sizes
    assert sizes["longer_query"] == 1


def test_gzip_is_transparent():
    plain = load_votes(FIXTURES / "arena_votes.csv").counts
    packed = load_votes(FIXTURES / "arena_votes.csv.gz").counts
    np.testing.assert_array_equal(plain.wins, packed.wins)
    np.testing.assert_array_equal(plain.ties, packed.ties)


def test_parquet_with_nested_tags(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "model_a": ["x", "y", "x"],
            "model_b": ["y", "z", "z"],
            "winner": ["model_a", "tie", "model_b"],
            "category_tag": [
                {"math_v0.1": {"math": True}},
                {"math_v0.1": {"math": False}},
                {"math_v0.1": {"math": True}},
            ],
            "language": ["English", "French", "English"],
            "is_code": [False, True, False],
        }
    )
    path = tmp_path / "votes.parquet"
    frame.to_parquet(path)
    counts = load_votes(path).counts
    sizes = dict(zip(counts.categories, counts.n_battles.tolist(), strict=True))
    assert sizes["math"] == 2 and sizes["coding"] == 1
    assert sizes["language_english"] == 2 and sizes["language_french"] == 1


def test_pairs_file():
    votes = load_votes(FIXTURES / "pairs.csv")
    counts = votes.counts
    assert votes.battles is None
    assert counts.categories == ["overall", "exclude_ties"]
    a, b = counts.models.index("alpha"), counts.models.index("beta")
    assert counts.wins[0, a, b] == 6 and counts.wins[0, b, a] == 3
    assert counts.ties[0, a, b] == 3 and counts.ties[0, b, a] == 3
    assert counts.n_battles.tolist() == [32, 27]


@pytest.mark.parametrize(
    ("name", "where", "skipped"),
    [
        ("fastchat_bad.jsonl", "line 3", 2),
        ("arena_bad.csv", "line 3", 2),
        ("pairs_bad.csv", "line 3", 2),
    ],
)
def test_malformed_rows_are_named_or_skipped(name, where, skipped):
    with pytest.raises(DatasetError, match=where):
        load_votes(FIXTURES / name)
    votes = load_votes(FIXTURES / name, skip_bad=True)
    assert votes.skipped == skipped
    assert votes.counts.n_battles[0] > 0


def test_unknown_layout_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DatasetError, match="format"):
        load_votes(path)
