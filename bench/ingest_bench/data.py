"""The generated CSV: 5 cells of about 200 characters per row, some quoted, some non-ASCII."""

import csv
import random
from pathlib import Path

FIELDS = ("prompt", "input", "context", "output", "golden_answer")

WORDS = (
    "the", "model", "answer", "context", "retrieval", "latency", "prompt", "token", "grounded", "policy",
    "refund", "order", "customer", "account", "invoice", "shipping", "evaluation", "metric", "faithfulness",
    "relevance", "summary", "question", "document", "passage", "citation", "résumé", "naïve", "café",
)  # fmt: skip
PUNCTUATION = ("", "", "", "", ",", ".", ";", ' "quoted"', ", and", "'s")


def text_pool(rng: random.Random, size: int = 4096, length: int = 200) -> list[str]:
    """Sentences of about `length` characters, some with commas and double quotes so the CSV needs quoting."""
    pool = []
    for _ in range(size):
        words: list[str] = []
        while sum(len(word) + 1 for word in words) < length - 12:
            words.append(rng.choice(WORDS) + rng.choice(PUNCTUATION))
        pool.append(" ".join(words))
    return pool


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Streams `rows` rows of 5 ~200-character cells to `path` (world-readable, so the postgres server can COPY it)."""
    rng = random.Random(seed)
    pool = text_pool(rng)
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for row in range(rows):
            picks = rng.choices(pool, k=5)
            writer.writerow([f"#{row} {text}" for text in picks])
    tmp.chmod(0o644)
    tmp.replace(path)
