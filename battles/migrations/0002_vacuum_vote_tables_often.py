"""PostgreSQL: vacuum the vote tables after 1% new rows instead of the default 20%.

The ratings aggregation reads only the covering ``*_counted_cells_idx`` indexes, which
needs an up-to-date visibility map; with the default a 2M-vote table gains 400k unvacuumed
rows before autovacuum runs, and the planner falls back to a seq scan + hash aggregate
(about twice as slow). Other databases have no such setting.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLES = ["battles_vote", "battles_battlecategory"]
SETTING = "autovacuum_vacuum_insert_scale_factor"


def vacuum_often(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET ({SETTING} = 0.01)")


def vacuum_by_default(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET ({SETTING})")


class Migration(migrations.Migration):
    dependencies = [("battles", "0001_initial")]

    operations = [migrations.RunPython(vacuum_often, vacuum_by_default)]
