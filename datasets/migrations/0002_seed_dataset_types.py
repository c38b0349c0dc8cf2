from django.db import migrations

DATASET_TYPES = [
    {"id": 1, "name": "CUSTOM", "label": "Custom", "description": None, "is_proprietary": False},
    {
        "id": 2,
        "name": "AEGIS_BENCHMARK",
        "label": "Aegis benchmark",
        "description": "Curated evaluation sets maintained by Aegis. Read-only; never shared or collected.",
        "is_proprietary": True,
    },
]


def seed(apps, schema_editor):
    DatasetType = apps.get_model("datasets", "DatasetType")
    for row in DATASET_TYPES:
        DatasetType.objects.update_or_create(id=row["id"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
