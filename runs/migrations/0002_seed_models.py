from django.db import migrations

MODELS = [
    ("gpt-4o", "GPT-4o", "OpenAI"),
    ("gpt-4o-mini", "GPT-4o mini", "OpenAI"),
    ("gpt-4.1", "GPT-4.1", "OpenAI"),
    ("o4-mini", "o4-mini", "OpenAI"),
    ("gemini-2.5-pro", "Gemini 2.5 Pro", "Google"),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", "Google"),
    ("llama-3.1-70b", "Llama 3.1 70B", "Meta"),
    ("mistral-large", "Mistral Large", "Mistral AI"),
]


def seed(apps, schema_editor):
    LlmModel = apps.get_model("runs", "LlmModel")
    for slug, name, supplier in MODELS:
        LlmModel.objects.update_or_create(slug=slug, defaults={"name": name, "supplier": supplier})


def unseed(apps, schema_editor):
    apps.get_model("runs", "LlmModel").objects.filter(slug__in=[slug for slug, _, _ in MODELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
