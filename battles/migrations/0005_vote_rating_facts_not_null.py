import django.db.models.deletion
from django.db import migrations, models


def _contender() -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="arena.contender",
    )


class Migration(migrations.Migration):
    dependencies = [("battles", "0004_fill_vote_rating_facts")]

    operations = [
        migrations.AlterField(model_name="vote", name="contender_a", field=_contender()),
        migrations.AlterField(model_name="vote", name="contender_b", field=_contender()),
        migrations.AlterField(model_name="battlecategory", name="contender_a", field=_contender()),
        migrations.AlterField(model_name="battlecategory", name="contender_b", field=_contender()),
    ]
