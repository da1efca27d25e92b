"""Read vote files into count tensors (and per-battle arrays where the file has them).

Formats:

* ``fastchat``: FastChat clean-battle JSON (an array) or JSONL, one battle per record
  (``model_a``, ``model_b``, ``winner``, ``language``, ``turn``, ``anony``,
  ``conv_metadata``, ``category_tag``, ``is_code``, ``dedup_tag``, ``tstamp``).
* ``arena-csv``: LMArena's arena-human-preference layout, CSV or Parquet
  (``id, model_a, model_b, winner`` and flattened ``category_tag.*`` columns; nested
  ``category_tag``/``conv_metadata`` columns are flattened too).
* ``pairs``: per-pair counts ``model_i, model_j, wins_i, wins_j, tie, tie_bothbad``.

Gzip is accepted everywhere. No Django here.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from arena.categories import (
    BASE_CATEGORIES,
    HARD_CRITERIA,
    is_hard,
    is_longer_query,
    language_category,
)
from ratings.stats.counts import A_WINS, B_WINS, BOTH_BAD, TIE, PairCounts, counts_from_battles

Format = Literal["auto", "fastchat", "arena-csv", "pairs"]

WINNER_CODES = {
    "model_a": A_WINS, "model_b": B_WINS, "tie": TIE, "tie (bothbad)": BOTH_BAD,
    "both_bad": BOTH_BAD,
}  # fmt: skip
#: FastChat's style-control elements: a-side counts, then b-side counts.
STYLE_ELEMENTS = [
    "sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a",
    "sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b",
]  # fmt: skip
PAIR_COLUMNS = ["model_i", "model_j", "wins_i", "wins_j", "tie", "tie_bothbad"]


class DatasetError(ValueError):
    """A vote file is malformed; the message names the line or record."""


@dataclass(frozen=True)
class Battles:
    """Per-battle arrays (file order, or ``tstamp`` order when the file has one)."""

    models: list[str]
    model_a: NDArray[np.intp]
    model_b: NDArray[np.intp]
    outcome: NDArray[np.int8]
    categories: list[str]
    category_mask: NDArray[np.bool_]
    style: NDArray[np.float64] | None = None  # (N, 8) raw counts, STYLE_ELEMENTS order
    # For import_battles: the file's battle id ("id"/"question_id"), else a hash of the
    # record plus its occurrence, so ids are stable across imports; and "tstamp" if any.
    source_ids: list[str] | None = None
    tstamps: NDArray[np.float64] | None = None
    # The first user prompt of each battle ("" where unknown), when the file has a
    # "prompt" or "conversation_a" column: import_battles stores its duplicate hash.
    prompts: list[str] | None = None


@dataclass(frozen=True)
class LoadedVotes:
    """What :func:`load_votes` found in a file."""

    format: str
    counts: PairCounts
    battles: Battles | None
    skipped: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def _open_text(path: Path) -> io.TextIOBase:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def detect_format(path: str | Path) -> str:
    """Guess the format of ``path`` from its name and first bytes."""
    p = Path(path)
    name = p.name.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return "arena-csv"
    if name.endswith((".json", ".jsonl")):
        return "fastchat"
    with _open_text(p) as fh:
        head = fh.readline().strip()
    if head.startswith(("[", "{")):
        return "fastchat"
    columns = {c.strip().strip('"') for c in head.split(",")}
    if {"model_i", "model_j", "wins_i", "wins_j"} <= columns:
        return "pairs"
    if {"model_a", "model_b", "winner"} <= columns:
        return "arena-csv"
    raise DatasetError(f"{p}: cannot tell the format from the header {head[:120]!r}")


def load_votes(path: str | Path, *, fmt: Format = "auto", skip_bad: bool = False) -> LoadedVotes:
    """Read a vote file into :class:`~ratings.stats.counts.PairCounts`.

    Parameters
    ----------
    path : str or Path
        The file (optionally gzip-compressed).
    fmt : {"auto", "fastchat", "arena-csv", "pairs"}
        Input layout; "auto" guesses it.
    skip_bad : bool
        Skip (and count) malformed rows instead of raising :class:`DatasetError`.

    Returns
    -------
    LoadedVotes
    """
    p = Path(path)
    kind = detect_format(p) if fmt == "auto" else fmt
    if kind == "pairs":
        return _load_pairs(p, skip_bad)
    if kind == "fastchat":
        frame, where = _read_fastchat(p)
    elif kind == "arena-csv":
        frame, where = _read_arena(p)
    else:
        raise DatasetError(f"unknown format {fmt!r}")
    return _battles_to_votes(frame, where, kind, skip_bad)


def _read_fastchat(path: Path) -> tuple[pd.DataFrame, list[str]]:
    with _open_text(path) as fh:
        text = fh.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        if not isinstance(records, list):
            raise DatasetError(f"{path}: expected a JSON array of battles")
        where = [f"record {k + 1}" for k in range(len(records))]
    else:
        records, where = [], []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                records.append({"_bad": f"invalid JSON ({exc.msg})"})
            where.append(f"line {lineno}")
    bad = [k for k, rec in enumerate(records) if not isinstance(rec, dict)]
    for k in bad:
        records[k] = {"_bad": "not a JSON object"}
    frame = pd.json_normalize(records, max_level=3)
    return frame, where


def _read_arena(path: Path) -> tuple[pd.DataFrame, list[str]]:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
        for col in ("category_tag", "conv_metadata"):
            if col in frame.columns and frame[col].map(lambda v: isinstance(v, dict)).any():
                flat = pd.json_normalize(frame[col].tolist(), max_level=3).add_prefix(col + ".")
                frame = pd.concat([frame.drop(columns=[col]), flat.set_index(frame.index)], axis=1)
        where = [f"row {k + 1}" for k in range(len(frame))]
    else:
        try:
            frame = pd.read_csv(
                path,
                dtype={"model_a": str, "model_b": str, "winner": str},
                keep_default_na=False,
                na_values=[""],
                low_memory=False,
            )
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DatasetError(f"{path}: cannot parse CSV: {exc}") from exc
        where = [f"line {k + 2}" for k in range(len(frame))]
    return frame, where


def _as_bool(series: pd.Series) -> NDArray[np.bool_]:
    if series.dtype == bool:
        return series.to_numpy()
    text = series.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "1.0"]).to_numpy()


def _column_sum(frame: pd.DataFrame, prefix: str) -> NDArray[np.float64] | None:
    cols = [c for c in frame.columns if c == prefix or c.startswith(prefix + ".")]
    if not cols:
        return None
    values = frame[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    return np.asarray(values.sum(axis=1), dtype=np.float64)


def _battles_to_votes(
    frame: pd.DataFrame, where: list[str], kind: str, skip_bad: bool
) -> LoadedVotes:
    for col in ("model_a", "model_b", "winner"):
        if col not in frame.columns:
            raise DatasetError(f"missing column {col!r} (format {kind})")
    dropped: dict[str, int] = {}
    problems = np.full(len(frame), "", dtype=object)
    if "_bad" in frame.columns:
        problems = frame["_bad"].fillna("").astype(str).to_numpy(dtype=object)
    model_a = frame["model_a"].astype("string").str.strip()
    model_b = frame["model_b"].astype("string").str.strip()
    winner = frame["winner"].astype("string").str.strip()
    codes = winner.map(WINNER_CODES)
    checks = [
        (model_a.isna() | (model_a == ""), "empty model_a"),
        (model_b.isna() | (model_b == ""), "empty model_b"),
        (codes.isna(), "winner not in model_a/model_b/tie/tie (bothbad)/both_bad"),
    ]
    for mask, msg in checks:
        m = mask.fillna(True).to_numpy(dtype=bool) & (problems == "")
        problems[m] = msg
    bad = np.flatnonzero(problems != "")
    if bad.size and not skip_bad:
        k = int(bad[0])
        raise DatasetError(
            f"{where[k]}: {problems[k]} (winner={winner.iloc[k]!r}); "
            f"{bad.size} malformed row(s) in all, use --skip-bad to skip them"
        )
    keep = problems == ""
    if "anony" in frame.columns:
        anon = _as_bool(frame["anony"])
        dropped["not_anonymous"] = int((keep & ~anon).sum())
        keep &= anon
    dedup_col = "dedup_tag.sampled"
    if dedup_col in frame.columns:
        sampled = ~frame[dedup_col].astype("string").str.lower().isin(["false", "0"]).to_numpy()
        dropped["dedup_not_sampled"] = int((keep & ~sampled).sum())
        keep &= sampled
    # a contender against itself carries no information about ratings
    same = (model_a == model_b).fillna(False).to_numpy(dtype=bool)
    dropped["self_battles"] = int((keep & same).sum())
    keep &= ~same
    sub = frame.loc[keep]
    if "tstamp" in sub.columns:
        sub = sub.sort_values("tstamp", kind="stable")
    return _build(sub, kind, int(bad.size), dropped)


def _build(frame: pd.DataFrame, kind: str, skipped: int, dropped: dict[str, int]) -> LoadedVotes:
    a_names = frame["model_a"].astype(str).str.strip()
    b_names = frame["model_b"].astype(str).str.strip()
    idx, uniques = pd.factorize(pd.concat([a_names, b_names], ignore_index=True), sort=True)
    n = len(frame)
    model_a = idx[:n].astype(np.intp)
    model_b = idx[n:].astype(np.intp)
    outcome = np.asarray(frame["winner"].astype(str).str.strip().map(WINNER_CODES), np.int8)
    categories, masks = derive_categories(frame, outcome)
    style = _style_matrix(frame)
    models = [str(u) for u in uniques]
    mask = np.array(masks, dtype=bool).reshape(len(categories), n)
    battles = Battles(
        models, model_a, model_b, outcome, categories, mask, style, *_source_ids(frame),
        prompts=_first_prompts(frame),
    )
    counts = counts_from_battles(
        models, model_a, model_b, outcome, categories=categories, category_mask=mask
    )
    return LoadedVotes(kind, counts, battles, skipped, dropped)


def _first_prompts(frame: pd.DataFrame) -> list[str] | None:
    if "prompt" in frame.columns:
        return [p if isinstance(p, str) else "" for p in frame["prompt"].tolist()]
    if "conversation_a" in frame.columns:
        return [_first_user_turn(c) for c in frame["conversation_a"].tolist()]
    return None


def _first_user_turn(conversation: object) -> str:
    """The first user message of a FastChat/LMArena conversation (a list of
    ``{"role", "content"}``, possibly as JSON text)."""
    if isinstance(conversation, str):
        try:
            conversation = json.loads(conversation)
        except json.JSONDecodeError:
            return ""
    for message in conversation if isinstance(conversation, list | np.ndarray) else []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else ""
    return ""


def _source_ids(frame: pd.DataFrame) -> tuple[list[str], NDArray[np.float64] | None]:
    id_col = next((c for c in ("id", "question_id") if c in frame.columns), None)
    if id_col is not None:
        ids = frame[id_col].astype(str).str.strip()
    else:
        digest = pd.util.hash_pandas_object(frame.astype(str), index=False)
        seen = digest.groupby(digest).cumcount()
        ids = digest.map("{:016x}".format) + "-" + seen.astype(str)
    tstamps = None
    if "tstamp" in frame.columns:
        tstamps = pd.to_numeric(frame["tstamp"], errors="coerce").to_numpy(dtype=np.float64)
    return ids.tolist(), tstamps


def derive_categories(
    frame: pd.DataFrame, outcome: NDArray[np.int8]
) -> tuple[list[str], list[NDArray[np.bool_]]]:
    """Category membership of each battle, from whatever columns the file has.

    Follows LMArena's definitions: ``coding`` is ``is_code``; ``math``,
    ``instruction_following`` and ``creative_writing`` are the ``category_tag``
    classifier flags; ``hard_prompts`` needs at least 6 of the 7 ``criteria_v0.1``
    flags; ``longer_query`` is ``conv_metadata.sum_user_tokens > 500``;
    ``multi_turn`` is ``turn > 1``; ``exclude_ties`` drops ties and both-bad;
    ``language_<name>`` per ``language`` value ("English" and "en" alike, none for
    "unknown"). Names and thresholds come from :mod:`arena.categories`.

    Returns
    -------
    names : list of str
    masks : list of ndarray of bool
    """
    n = len(frame)
    cols = set(frame.columns)
    found: dict[str, NDArray[np.bool_]] = {"overall": np.ones(n, dtype=bool)}
    if "is_code" in cols:
        found["coding"] = _as_bool(frame["is_code"])
    tags = {
        "math": "category_tag.math_v0.1.math",
        "instruction_following": "category_tag.if_v0.1.if",
        "creative_writing": "category_tag.creative_writing_v0.1.creative_writing",
    }
    for name, col in tags.items():
        if col in cols:
            found[name] = _as_bool(frame[col])
    criteria = [f"category_tag.criteria_v0.1.{c}" for c in HARD_CRITERIA]
    if all(c in cols for c in criteria):
        hits = sum(_as_bool(frame[c]).astype(int) for c in criteria)
        found["hard_prompts"] = is_hard(np.asarray(hits))
    if "conv_metadata.sum_user_tokens" in cols:
        tokens = pd.to_numeric(frame["conv_metadata.sum_user_tokens"], errors="coerce")
        found["longer_query"] = is_longer_query(tokens.fillna(0)).to_numpy()
    if "turn" in cols:
        turns = pd.to_numeric(frame["turn"], errors="coerce")
        found["multi_turn"] = (turns.fillna(1) > 1).to_numpy()
    found["exclude_ties"] = np.asarray(outcome) <= B_WINS
    names = [c for c in BASE_CATEGORIES if c in found]
    masks = [found[c] for c in names]
    if "language" in cols:
        lang = frame["language"].astype("string").fillna("")
        language_tags = lang.map(lambda v: language_category(str(v)) or "")
        for tag in sorted(t for t in language_tags.unique() if t):
            names.append(tag)
            masks.append((language_tags == tag).to_numpy(dtype=bool))
    return names, masks


def _style_matrix(frame: pd.DataFrame) -> NDArray[np.float64] | None:
    columns = []
    for element in STYLE_ELEMENTS:
        values = _column_sum(frame, f"conv_metadata.{element}")
        if values is None:
            return None
        columns.append(values)
    return np.column_stack(columns)


def _load_pairs(path: Path, skip_bad: bool) -> LoadedVotes:
    try:
        frame = pd.read_csv(path, dtype={"model_i": str, "model_j": str}, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot parse CSV: {exc}") from exc
    missing = [c for c in PAIR_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing} for the pairs format")
    if "tie_bothbad" not in frame.columns:
        frame["tie_bothbad"] = 0
    nums = frame[PAIR_COLUMNS[2:]].apply(pd.to_numeric, errors="coerce")
    mi = frame["model_i"].astype(str).str.strip()
    mj = frame["model_j"].astype(str).str.strip()
    problem = np.full(len(frame), "", dtype=object)
    problem[(nums < 0).any(axis=1).to_numpy()] = "negative count"
    not_int = (nums.isna() | (nums != nums.round())).any(axis=1).to_numpy()
    problem[not_int] = "count is not an integer"
    problem[(mi == mj).to_numpy()] = "model_i equals model_j"
    problem[((mi == "") | (mj == "")).to_numpy()] = "empty model name"
    bad = np.flatnonzero(problem != "")
    if bad.size and not skip_bad:
        k = int(bad[0])
        raise DatasetError(
            f"line {k + 2}: {problem[k]}; {bad.size} malformed row(s) in all, "
            "use --skip-bad to skip them"
        )
    keep = problem == ""
    mi, mj, nums = mi[keep], mj[keep], nums[keep].to_numpy(dtype=np.float64)
    idx, uniques = pd.factorize(pd.concat([mi, mj], ignore_index=True), sort=True)
    n, m = int(keep.sum()), len(uniques)
    i, j = idx[:n], idx[n:]
    wins = np.zeros((2, m, m))
    ties = np.zeros((2, m, m))
    bothbad = np.zeros((2, m, m))
    np.add.at(wins[0], (i, j), nums[:, 0])
    np.add.at(wins[0], (j, i), nums[:, 1])
    for arr, col in ((ties, slice(2, 4)), (bothbad, slice(3, 4))):
        t = np.zeros((m, m))
        np.add.at(t, (i, j), nums[:, col].sum(axis=1))
        arr[0] = t + t.T
    wins[1] = wins[0]  # exclude_ties: the same decisive battles, no ties
    counts = PairCounts([str(u) for u in uniques], ["overall", "exclude_ties"], wins, ties, bothbad)
    return LoadedVotes("pairs", counts, None, int(bad.size), {})
