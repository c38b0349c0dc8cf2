"""The LLM-judged metrics (ids 24-47) were created switched off, when nothing could score them.

The registry now gives them judge scorers, and whether one is usable depends on its model's configuration
(metrics.availability), so the staff switch goes on once. Staff may switch any of them off again.
"""

from django.db import migrations

JUDGED_IDS = range(24, 48)


def switch_on(apps, schema_editor):
    Metric = apps.get_model("metrics", "Metric")
    Metric.objects.using(schema_editor.connection.alias).filter(id__in=list(JUDGED_IDS)).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0006_seed_model_routes")]

    # Reversing leaves the switches alone: whether a metric was on before cannot be told apart from a staff choice.
    operations = [migrations.RunPython(switch_on, migrations.RunPython.noop)]
