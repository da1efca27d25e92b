"""Fill the rating facts of existing votes and tags from their battles, one UPDATE each.

A migration of its own: on PostgreSQL the rows' deferred foreign-key checks must be
committed before 0005 alters the columns to NOT NULL.
"""

from django.db import migrations

FILL_VOTES = """
UPDATE battles_vote
SET contender_a_id = b.contender_a_id,
    contender_b_id = b.contender_b_id,
    counted = (b.status = 'voted' AND b.excluded_reason = '')
FROM battles_battle AS b
WHERE b.id = battles_vote.battle_id
"""

# A tag without a vote (none are written, but older data may hold some) never counts.
FILL_TAGS = """
UPDATE battles_battlecategory
SET contender_a_id = b.contender_a_id,
    contender_b_id = b.contender_b_id,
    outcome = COALESCE(v.outcome, ''),
    counted = COALESCE(v.counted, FALSE)
FROM battles_battle AS b LEFT JOIN battles_vote AS v ON v.battle_id = b.id
WHERE b.id = battles_battlecategory.battle_id
"""


class Migration(migrations.Migration):
    dependencies = [("battles", "0003_vote_rating_facts")]

    operations = [
        migrations.RunSQL(FILL_VOTES, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(FILL_TAGS, reverse_sql=migrations.RunSQL.noop),
    ]
