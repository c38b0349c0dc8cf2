"""The model catalog now belongs to metrics (metrics 0004 adopted the table): forget it here, keep the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0004_evaluation_eval_metadata"),
        ("metrics", "0004_llmmodel_moves_from_runs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LlmModel")],
            database_operations=[],
        ),
    ]
