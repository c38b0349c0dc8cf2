import django.core.validators
from django.db import migrations, models

import metrics.models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_llmmodel_moves_from_runs"),
        ("runs", "0005_llmmodel_moves_to_metrics"),
    ]

    operations = [
        # runs_llmmodel -> metrics_llmmodel; rows and ids stay as they are.
        migrations.AlterModelTable(name="llmmodel", table=None),
        migrations.AddField(
            model_name="llmmodel",
            name="provider",
            field=models.CharField(
                choices=[("openai", "OpenAI or an OpenAI-compatible server"), ("anthropic", "Anthropic")],
                default="openai",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="provider_model",
            field=models.CharField(default="", help_text="The model name sent to the provider.", max_length=255),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="base_url",
            field=models.CharField(
                blank=True,
                help_text="Blank: the provider's default (OPENAI_BASE_URL or ANTHROPIC_BASE_URL, else the public API).",
                max_length=500,
                validators=[metrics.models.validate_base_url],
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="api_key_env",
            field=models.CharField(
                blank=True,
                help_text="Name of the environment variable holding the key. Blank: no key (a local vLLM or Ollama).",
                max_length=128,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z_][A-Z0-9_]*$",
                        "Enter the name of an environment variable (such as OPENAI_API_KEY), not the key itself.",
                    )
                ],
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="supports_json_schema",
            field=models.BooleanField(
                default=True, help_text="Structured output by JSON schema; otherwise the judge forces a tool call."
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="input_cost_per_million_tokens",
            field=models.DecimalField(
                decimal_places=6,
                default=0,
                max_digits=12,
                validators=[django.core.validators.MinValueValidator(0)],
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="output_cost_per_million_tokens",
            field=models.DecimalField(
                decimal_places=6,
                default=0,
                max_digits=12,
                validators=[django.core.validators.MinValueValidator(0)],
            ),
        ),
    ]
