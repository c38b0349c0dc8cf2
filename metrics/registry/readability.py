"""text_readability: a 0-100 ease-of-reading composite of four classic formulas (textstat)."""

from __future__ import annotations

from .base import Args, MetricSpec, Record, Score, ensure_size, field_text

STRUCTURAL = "Structural"


def _scale(value: float, easiest: float, hardest: float) -> float:
    """Map value linearly so that `easiest` gives 100 and `hardest` gives 0, clamped to 0-100."""
    return min(100.0, max(0.0, 100.0 * (value - hardest) / (easiest - hardest)))


def readability_parts(text: str) -> dict[str, float]:
    """Each formula scaled to 0-100, higher = easier, on roughly the same grade bands (grade 5 -> 100, 17 -> 0)."""
    import textstat  # type: ignore[import-untyped]  # textstat ships no type information

    return {
        "Flesch Reading Ease": _scale(textstat.flesch_reading_ease(text), 100, 0),
        "Dale-Chall": _scale(textstat.dale_chall_readability_score(text), 5.0, 10.5),
        "Gunning Fog": _scale(textstat.gunning_fog(text), 5, 17),
        "SMOG": _scale(textstat.smog_index(text), 5, 17),
    }


def score_text_readability(record: Record, args: Args) -> Score:
    text = field_text(record, "output")
    ensure_size("output", text)
    if not any(char.isalpha() for char in text):
        return Score(0.0, "output has no words to assess")
    parts = readability_parts(text)
    result = sum(parts.values()) / len(parts)
    detail = ", ".join(f"{name} {value:.0f}" for name, value in parts.items())
    return Score(result, f"readability {result:.1f} ({detail})")


SPECS = [
    MetricSpec(
        id=20,
        shortname="text_readability",
        name="Text readability",
        category=STRUCTURAL,
        description=(
            "Average of four readability formulas, each scaled to 0-100 where higher is easier: Flesch Reading "
            "Ease (clamped to 0-100), Dale-Chall (5.0 -> 100, 10.5 -> 0), Gunning Fog and SMOG grades "
            "(5 -> 100, 17 -> 0). English formulas (textstat). Output without any letters scores 0."
        ),
        default_threshold=70,
        inputs=("output",),
        args=(),
        is_active=True,
        scorer=score_text_readability,
    ),
]
