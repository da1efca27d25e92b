"""Battles, their turns, the two completions of each turn, and the vote."""

import uuid
from datetime import timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from arena.backends.base import Message
from arena.db.rows import for_update, key, select_rows, table, update_where
from arena.models import Contender


class Side(models.TextChoices):
    A = "a", "A"
    B = "b", "B"


class BattleStatus(models.TextChoices):
    GENERATING = "generating", "Generating"
    READY = "ready", "Ready for a vote"
    VOTED = "voted", "Voted"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned"


class BattleMode(models.TextChoices):
    """The blind arena, or a named mode whose names are shown from the start.

    Only ``arena`` votes enter the ratings: a voter who knows the names is not blind.
    """

    ARENA = "arena", "Blind arena"
    SIDE_BY_SIDE = "side_by_side", "Side-by-side"
    # One model, side a only; no vote. Its one contender fills both contender fields.
    DIRECT = "direct", "Direct chat"


class Outcome(models.TextChoices):
    A = "a", "A is better"
    B = "b", "B is better"
    TIE = "tie", "Tie"
    BOTH_BAD = "bothbad", "Both are bad"


class Battle(models.Model):
    """One blind comparison between two contenders; sides are assigned at random."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Anonymous voter id kept in the session, and a salted hash of the client IP.
    voter = models.CharField(max_length=64, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    contender_a = models.ForeignKey(Contender, on_delete=models.PROTECT, related_name="+")
    contender_b = models.ForeignKey(Contender, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=BattleStatus.choices, default=BattleStatus.GENERATING
    )
    # The database default keeps raw inserts (imports, benchmarks) in the blind arena.
    mode = models.CharField(
        max_length=20,
        choices=BattleMode.choices,
        default=BattleMode.ARENA,
        db_default=BattleMode.ARENA,
    )
    # "New pair": the unvoted battle this one replaced (which was abandoned for it).
    regenerated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="regenerations"
    )
    # Why the vote is kept out of the ratings (identity leak, failed generation, ...).
    excluded_reason = models.CharField(max_length=200, blank=True)
    # Set for votes loaded by `import_battles`: the source's own battle id, for idempotency.
    source_id = models.CharField(max_length=200, blank=True)
    # The exact probability with which the sampler drew this (unordered) pair, and how
    # many pairs it could draw from then; null for imported battles. Their ratio to the
    # uniform draw is the vote's inverse-probability weight (``rating_weight``).
    pair_probability = models.FloatField(null=True, blank=True)
    pairs_allowed = models.PositiveIntegerField(null=True, blank=True)
    # sha256 of the normalised first prompt (``battles.duplicates``): the duplicate cap
    # counts votes per prompt by it. Empty for imported battles without a known prompt.
    prompt_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True
    )
    # The first prompt's language (``battles.categories.detect_language``), read when the
    # battle starts, outside any transaction; empty when it was not (the models were
    # still loading, an imported battle), and then read at the vote.
    language = models.CharField(max_length=32, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(contender_a=models.F("contender_b"))
                | models.Q(mode=BattleMode.DIRECT),
                name="battle_distinct_contenders",
            ),
            models.UniqueConstraint(
                fields=["source_id"],
                condition=~models.Q(source_id=""),
                name="battle_unique_source_id",
            ),
        ]
        indexes = [
            # Housekeeping looks for open battles by status and age.
            models.Index(fields=["status", "updated_at"]),
            # The exclusion counts (operators' page, each snapshot): few rows, index-only.
            models.Index(
                fields=["excluded_reason", "contender_a", "contender_b"],
                condition=models.Q(status="voted") & ~models.Q(excluded_reason=""),
                name="battle_excluded_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    def contender(self, side: str) -> Contender:
        return self.contender_a if side == Side.A else self.contender_b

    @property
    def counts_for_ratings(self) -> bool:
        """Whether this battle's vote enters the ratings (``counted`` on its vote rows)."""
        return (
            self.status == BattleStatus.VOTED
            and not self.excluded_reason
            and self.mode == BattleMode.ARENA
        )

    @property
    def is_blind(self) -> bool:
        """Whether names stay hidden until the vote (the arena), or are shown from the start."""
        return self.mode == BattleMode.ARENA

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides that answer: both, or only ``a`` in a direct chat."""
        return (Side.A,) if self.mode == BattleMode.DIRECT else (Side.A, Side.B)

    @property
    def rating_weight(self) -> float:
        """The vote's weight in the fit: uniform probability over pair probability.

        1 under uniform sampling, and for imported battles (no probability stored); a
        pair the policy favoured weighs less, a neglected one more, so the weighted fit
        estimates what a uniform sampler would have measured, whatever the policy.
        """
        if not self.pair_probability or not self.pairs_allowed:
            return 1.0
        return 1.0 / (self.pairs_allowed * self.pair_probability)

    def latest_turn(self) -> "Turn":
        # .all() so that a prefetch (get_battle) answers without another query.
        turns = list(self.turns.all())
        if not turns:
            raise Turn.DoesNotExist(f"battle {self.pk} has no turns")
        return max(turns, key=lambda turn: turn.index)

    @staticmethod
    def refresh_status(battle_id: uuid.UUID) -> str:
        """Move a generating battle to ready or failed from its latest turn's completions.

        Both sides may finish at the same moment; the row lock makes exactly one of them
        do the transition, seeing the other's committed status.
        """
        # Hand-written statements (arena.db.rows): every completion ends with this.
        with transaction.atomic():
            battle_key = key(Battle, battle_id)
            locked = select_rows(_lock_status_sql(), [battle_key])
            if not locked:
                raise Battle.DoesNotExist(f"battle {battle_id} does not exist")
            status = locked[0][0]
            if status != BattleStatus.GENERATING:
                return str(status)
            statuses = {row[0] for row in select_rows(_latest_statuses_sql(), [battle_key])}
            if CompletionStatus.FAILED in statuses:
                status = BattleStatus.FAILED
            elif statuses == {CompletionStatus.DONE}:
                status = BattleStatus.READY
            else:
                return str(status)
            settled = {"status": status, "updated_at": timezone.now()}
            update_where(Battle, settled, {"id": battle_id})
            return str(status)


class Turn(models.Model):
    battle = models.ForeignKey(Battle, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    prompt = models.TextField()
    # Regenerated: a later turn answers the same prompt again. Kept for the record, never
    # part of the conversation, the vote's categories, leak checks or style features.
    superseded = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["battle", "index"]
        constraints = [
            models.UniqueConstraint(fields=["battle", "index"], name="turn_unique_index")
        ]

    def __str__(self) -> str:
        return f"turn {self.index} of {self.battle_id}"


class CompletionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    STREAMING = "streaming", "Streaming"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Completion(models.Model):
    """One side's answer to one turn. Its uuid names the token stream."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="completions")
    side = models.CharField(max_length=1, choices=Side.choices)
    contender = models.ForeignKey(Contender, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=CompletionStatus.choices, default=CompletionStatus.PENDING
    )
    text = models.TextField(blank=True)
    # A reasoning model's thinking, kept apart from the answer (``text``): it is shown to
    # the voter only after the vote (traces tend to name their makers), and neither style
    # features nor leak detection read it.
    reasoning = models.TextField(blank=True)
    # The internal reason (kept for operators); voters see a generic, side-neutral message.
    error = models.TextField(blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the first reasoning text came; null for an answer given without thinking.
    first_reasoning_at = models.DateTimeField(null=True, blank=True)
    # When the first *answer* token came: reasoning does not count.
    first_token_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Style features of the final text, for style-controlled ratings.
    length_chars = models.PositiveIntegerField(null=True, blank=True)
    header_count = models.PositiveIntegerField(null=True, blank=True)
    list_count = models.PositiveIntegerField(null=True, blank=True)
    bold_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["turn", "side"], name="completion_unique_side")
        ]
        # Only unfinished completions are ever looked up by status (housekeeping), and
        # they are few: a partial index stays small however many answers are stored.
        indexes = [
            models.Index(
                fields=["status", "queued_at"],
                condition=models.Q(status__in=["pending", "streaming"]),
                name="completion_unfinished_idx",
            ),
            # The backend-health page reads the last hour or day of finished answers.
            models.Index(fields=["finished_at"], name="completion_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"side {self.side} of turn {self.turn_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (CompletionStatus.DONE, CompletionStatus.FAILED)

    @property
    def thinking_time(self) -> timedelta | None:
        """From the first reasoning to the first answer token; None without both."""
        if self.first_reasoning_at is None or self.first_token_at is None:
            return None
        return self.first_token_at - self.first_reasoning_at

    def conversation(self) -> list[Message]:
        """This side's own history: earlier prompts with *its own* answers, then the prompt.

        Each side sees only what it said itself, as if it were the only model in the chat;
        its answers without their reasoning, which providers neither need nor want back.
        """
        turn = self.turn
        if turn.index == 0:
            return [Message("user", turn.prompt)]  # the usual case, without two queries
        earlier = {
            c.turn_id: c.text
            for c in Completion.objects.filter(
                turn__battle_id=turn.battle_id,
                turn__index__lt=turn.index,
                turn__superseded=False,
                side=self.side,
            )
        }
        messages: list[Message] = []
        earlier_turns = Turn.objects.filter(
            battle_id=turn.battle_id, index__lt=turn.index, superseded=False
        )
        for previous in earlier_turns:
            messages.append(Message("user", previous.prompt))
            messages.append(Message("assistant", earlier.get(previous.pk, "")))
        messages.append(Message("user", turn.prompt))
        return messages


class Vote(models.Model):
    """The one final vote of a battle (the one-to-one key enforces 'only once')."""

    battle = models.OneToOneField(Battle, on_delete=models.CASCADE, related_name="vote")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    voter = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Copied from the battle when the vote is cast, so that the ratings aggregation is
    # a scan of this one table: the sides as stored, and whether the vote counts
    # (kept in step with ``Battle.excluded_reason`` by ``battles.exclusions``).
    contender_a = models.ForeignKey(
        Contender, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contender_b = models.ForeignKey(
        Contender, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    counted = models.BooleanField()
    # The battle's ``rating_weight``; summed per cell by the aggregation.
    weight = models.FloatField(default=1.0, db_default=1.0)

    class Meta:
        # Covers the ratings aggregation: an index-only scan in group order (B-tree
        # deduplication keeps it a fraction of the table's size while weights repeat:
        # all 1 under uniform sampling and for imported votes).
        indexes = [
            models.Index(
                fields=["contender_a", "contender_b", "outcome", "weight"],
                condition=models.Q(counted=True),
                name="vote_counted_cells_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome} in {self.battle_id}"

    @classmethod
    def for_battle(cls, battle: Battle, outcome: str, voter: str) -> "Vote":
        """An unsaved vote on ``battle`` carrying the battle's rating facts."""
        return cls(
            battle=battle,
            outcome=outcome,
            voter=voter,
            contender_a_id=battle.contender_a_id,
            contender_b_id=battle.contender_b_id,
            counted=battle.counts_for_ratings,
            weight=battle.rating_weight,
        )


class BattleCategory(models.Model):
    """A category tag of a voted battle (coding, math, language_english, ...), one row per tag.

    Kept as rows rather than a JSON list so that ratings can ``GROUP BY`` category in SQL.
    ``overall`` is implicit and not stored. Written with the vote, the rows repeat the
    vote's facts (contenders as sided in the battle, outcome, ``counted``, ``weight``) so
    that the ratings aggregation scans this one table without joins.
    """

    battle = models.ForeignKey(Battle, on_delete=models.CASCADE, related_name="category_tags")
    category = models.CharField(max_length=64)
    # Only the aggregation's full scan reads these; the battle's own FKs are indexed.
    contender_a = models.ForeignKey(
        Contender, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contender_b = models.ForeignKey(
        Contender, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Kept equal to the vote's ``counted`` by ``battles.exclusions``.
    counted = models.BooleanField()
    weight = models.FloatField(default=1.0, db_default=1.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["battle", "category"], name="battle_category_unique")
        ]
        indexes = [
            models.Index(fields=["category", "battle"]),
            # Covers the ratings aggregation, as on Vote.
            models.Index(
                fields=["category", "contender_a", "contender_b", "outcome", "weight"],
                condition=models.Q(counted=True),
                name="tag_counted_cells_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.category

    @classmethod
    def for_vote(cls, vote: "Vote", category: str) -> "BattleCategory":
        """The tag row of ``vote``'s battle, carrying the vote's facts."""
        return cls(
            battle_id=vote.battle_id,
            category=category,
            contender_a_id=vote.contender_a_id,
            contender_b_id=vote.contender_b_id,
            outcome=vote.outcome,
            counted=vote.counted,
            weight=vote.weight,
        )


class SharedBattle(models.Model):
    """A voted battle's public, read-only link; deleting the row ends the link."""

    # secrets.token_urlsafe: unguessable, so the link is the only way in.
    token = models.CharField(max_length=64, unique=True)
    battle = models.OneToOneField(Battle, on_delete=models.CASCADE, related_name="share")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"share of {self.battle_id}"


class DuplicateCap(models.Model):
    """How many votes one prompt may put into the ratings (a singleton, pk 1).

    Written by the periodic recompute (``battles.duplicates.refresh_duplicate_cap``) and
    read inside every vote transaction; ``ARENA_DUPLICATE_CAP`` overrides it.
    """

    cap = models.PositiveIntegerField()
    # The 99.9th percentile of votes per prompt it was derived from.
    percentile_count = models.PositiveIntegerField(default=0)
    prompts = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"duplicate cap {self.cap}"


class PromptLabel(models.Model):
    """The LLM labeller's judgement of one conversation's user prompts, cached by hash.

    ``prompt_hash`` is the SHA-256 of the normalised prompts (``battles.labeller``), so a
    prompt asked again is judged once. ``labels`` maps a category to True/False for each
    task the judge answered properly (plus ``criteria`` and ``if_score``); ``errors`` maps
    a task to why its output could not be used (that category keeps the heuristic label).
    """

    prompt_hash = models.CharField(max_length=64, unique=True)
    judge = models.CharField(max_length=64)  # the judge contender's codename
    labels = models.JSONField(default=dict)
    errors = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.prompt_hash[:12]} by {self.judge}"


def _lock_status_sql() -> str:
    """The battle's status, its row locked until the transaction ends."""
    return f"SELECT status FROM {table(Battle)} WHERE id = %s{for_update()}"


def _latest_statuses_sql() -> str:
    """The statuses of the completions of a battle's latest turn."""
    index = connection.ops.quote_name("index")
    return (
        f"SELECT c.status FROM {table(Completion)} c JOIN {table(Turn)} t ON t.id = c.turn_id "
        f"WHERE t.battle_id = %s AND t.{index} = "
        f"(SELECT MAX(l.{index}) FROM {table(Turn)} l WHERE l.battle_id = t.battle_id)"
    )
