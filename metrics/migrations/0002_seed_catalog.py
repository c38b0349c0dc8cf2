from django.db import migrations


def seed(apps, schema_editor):
    from metrics.catalog import sync_catalog

    sync_catalog(apps.get_model("metrics", "Metric"))


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
