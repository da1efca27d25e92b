"""Votes and category tags carry the facts the ratings need (added nullable, then filled).

The contender columns start without their foreign-key constraint: 0004 rewrites every
row, and a deferred per-row check would queue two trigger events per row; 0005 adds the
constraints, which PostgreSQL validates in one pass.
"""

import django.db.models.deletion
from django.db import migrations, models


def _contender() -> models.ForeignKey:
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="arena.contender",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0002_contender_validators"),
        ("battles", "0002_housekeeping_indexes"),
    ]

    operations = [
        migrations.AddField(model_name="vote", name="contender_a", field=_contender()),
        migrations.AddField(model_name="vote", name="contender_b", field=_contender()),
        migrations.AddField(
            model_name="vote",
            name="counted",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
        migrations.AddField(model_name="battlecategory", name="contender_a", field=_contender()),
        migrations.AddField(model_name="battlecategory", name="contender_b", field=_contender()),
        migrations.AddField(
            model_name="battlecategory",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("a", "A is better"),
                    ("b", "B is better"),
                    ("tie", "Tie"),
                    ("bothbad", "Both are bad"),
                ],
                default="",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="battlecategory",
            name="counted",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
    ]
