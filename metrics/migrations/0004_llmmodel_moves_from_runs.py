"""The model catalog moves from runs to metrics, so the judge layer can read it without importing runs.

State only: metrics adopts the existing runs_llmmodel table, rows and ids untouched. runs 0005 then drops the model
from runs' state, and metrics 0005 renames the table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_judge_cache"),
        ("runs", "0004_evaluation_eval_metadata"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LlmModel",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("slug", models.CharField(max_length=64, unique=True)),
                        ("name", models.CharField(max_length=255)),
                        ("supplier", models.CharField(max_length=128)),
                    ],
                    options={"verbose_name": "LLM model", "ordering": ["id"], "db_table": "runs_llmmodel"},
                ),
            ],
            database_operations=[],
        ),
    ]
