from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class Metric(models.Model):
    """A catalog row. Its definition (arguments, inputs, scorer) lives in `metrics.registry`; rows mirror it."""

    id = models.PositiveIntegerField(primary_key=True)
    shortname = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    default_threshold = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(default=True)
    args = models.JSONField(default=list, help_text="Declared arguments: name, type, default, required, description.")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.id} {self.shortname}"


class JudgeCacheEntry(models.Model):
    """A judge reply, keyed by a digest of the whole request (provider, model, messages, schema, parameters).

    An identical request is answered from here at no cost. Only valid replies are stored: errors never are.
    """

    key = models.CharField(max_length=64, primary_key=True)
    model = models.CharField(max_length=255)
    reply = models.JSONField()
    tokens_in = models.PositiveIntegerField()
    tokens_out = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "judge cache entry"
        verbose_name_plural = "judge cache entries"

    def __str__(self):
        return f"{self.model} {self.key[:12]}"


def validate_base_url(value: str) -> None:
    # Not a URLField: a self-hosted server is often reached by a bare container name (http://vllm:8000/v1),
    # which Django's URL validator refuses for having no top-level domain.
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError("Enter an http:// or https:// URL, such as http://vllm:8000/v1.")


class LlmModel(models.Model):
    """The model catalog and the judge's routing table: runs name a model by slug, the judge reaches it from here."""

    class Provider(models.TextChoices):
        OPENAI = "openai", "OpenAI or an OpenAI-compatible server"
        ANTHROPIC = "anthropic", "Anthropic"

    slug = models.CharField(max_length=64, unique=True)  # not a SlugField: model names have dots (gpt-4.1)
    name = models.CharField(max_length=255)
    supplier = models.CharField(max_length=128)
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.OPENAI)
    provider_model = models.CharField(max_length=255, help_text="The model name sent to the provider.")
    base_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_base_url],
        help_text="Blank: the provider's default (OPENAI_BASE_URL or ANTHROPIC_BASE_URL, else the public API).",
    )
    # Only the variable's name is stored, so a database dump or the admin never holds a provider key.
    api_key_env = models.CharField(
        max_length=128,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z_][A-Z0-9_]*$",
                "Enter the name of an environment variable (such as OPENAI_API_KEY), not the key itself.",
            )
        ],
        help_text="Name of the environment variable holding the key. Blank: no key (a local vLLM or Ollama).",
    )
    supports_json_schema = models.BooleanField(
        default=True, help_text="Structured output by JSON schema; otherwise the judge forces a tool call."
    )
    input_cost_per_million_tokens = models.DecimalField(
        max_digits=12, decimal_places=6, default=0, validators=[MinValueValidator(0)]
    )
    output_cost_per_million_tokens = models.DecimalField(
        max_digits=12, decimal_places=6, default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "LLM model"

    def __str__(self):
        return self.slug
