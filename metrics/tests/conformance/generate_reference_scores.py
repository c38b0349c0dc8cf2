"""Write data/reference_overlap/pairs.json: fixed sentence pairs with rouge-score's and sacrebleu's own scores.

Run once, in a virtualenv that has the reference libraries (never the project's, and never at test time):

    python -m venv /tmp/reference && /tmp/reference/bin/pip install rouge-score==0.1.2 sacrebleu==2.6.0 nltk==3.10.4
    /tmp/reference/bin/python metrics/tests/conformance/generate_reference_scores.py

The pairs are built from a fixed seed out of words chosen to stress tokenisation (underscores, hyphens,
apostrophes, digits, case, inflections the Porter stemmer folds), plus hand-written pairs in other scripts.

- BLEU: sacrebleu's sentence BLEU, for each smoothing x case_sensitive combination, on every pair.
- ROUGE on ASCII pairs: rouge-score's RougeScorer with its default tokenizer (ROUGE-1, 2, 3, 4, 9 and L, with and
  without its stemmer). rouge-score always lowercases, so only case_sensitive=false has a reference.
- ROUGE on the other pairs: rouge-score deletes every non-ASCII character, so its own numbers are no reference
  there. These pairs get rouge-score's scoring on the tokenisation the rouge metric documents (letters, marks and
  digits; Han and kana one character each), given to RougeScorer as a tokenizer, and rouge-score's own values
  are kept beside them to show how far apart the two are.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import regex
from nltk.stem import porter
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

OUT = Path(__file__).resolve().parent / "data" / "reference_overlap" / "pairs.json"
ROUGE_TYPES = ("rouge1", "rouge2", "rouge3", "rouge4", "rouge9", "rougeL")
_WORDS = (
    "the a an of to and in is was it fly flies flying running run runs ran cat cats dog dogs user_id user id "
    "don't it's e-mail email U.S. 3.14 42 2024 COVID-19 state-of-the-art connection connected connecting connects "
    "generously generous happiness happy agreed agreement caresses ponies ties sky dying lying news analysis "
    "analyses The QUICK Brown fox jumps over lazy x ab abc abcd abcde university universal organization "
    "organize relational rational conditional hopeful hopefulness goodness formality sensitivity meetings "
    "meeting wasn't I'm you're data-driven v2.0 #tag @user (note) [ref] snake_case camelCase HTTP/2 a.m. p.m."
)
WORDS = _WORDS.split()
SEPARATORS = (" ", " ", " ", " ", ", ", " - ", "_", "/", ". ", "; ", " (", ") ", "\n", "\t", "  ")
NON_ASCII = [
    ("Le café est très bon.", "Le café était très bon."),
    ("Café Noir", "café noir"),
    ("naïve coöperation", "naive cooperation"),
    ("Die Straße ist schön.", "Die Strasse ist schön."),
    ("Übermäßig große Äpfel", "übermäßig große äpfel"),
    ("El niño comió piña.", "El nino comio pina."),
    ("Быстрая коричневая лиса прыгает", "Быстрая лиса прыгает через собаку"),
    ("Привет мир", "привет, мир!"),
    ("Η γρήγορη καφέ αλεπού", "Η γρήγορη αλεπού"),
    ("नमस्ते दुनिया, यह एक परीक्षण है", "नमस्ते दुनिया यह परीक्षण है"),
    ("東京は日本の首都です。", "日本の首都は東京です。"),
    ("我喜欢吃苹果", "我喜欢吃香蕉"),
    ("カタカナのテスト", "カタカナテスト"),
    ("مرحبا بالعالم", "مرحبا بالعالم الجميل"),
    ("שלום עולם", "שלום לכל העולם"),
    ("e\u0301cole", "\u00e9cole"),
    ("Zürich ist größer als Bern", "Zurich ist groesser als Bern"),
    ("user_id café", "user id cafe"),
    ("the flies ﬁnd ﬂowers", "the fly find flowers"),
    ("３ апреля 2024", "3 апреля 2024"),
    ("Ｔｏｋｙｏ　Ｔｏｗｅｒ", "Tokyo Tower"),
    ("İstanbul ılık", "istanbul ilik"),
    ("смотрим smoke tests", "smoke testing смотрим"),
    ("😀 happy 😀 days", "happy days"),
    ("a–b — c", "a b c"),
]
UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}"
WORD = regex.compile(rf"[{UNSPACED}]|(?:(?![{UNSPACED}])[\p{{L}}\p{{M}}\p{{N}}])+")


class DocumentedTokenizer:
    """The rouge metric's rule beyond ASCII, as its description states it."""

    def __init__(self, use_stemmer: bool):
        self.stemmer = porter.PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = WORD.findall(text.lower())
        if self.stemmer is not None:
            tokens = [self.stemmer.stem(token) if len(token) > 3 else token for token in tokens]
        return tokens


def sentence(rng: random.Random) -> str:
    parts = []
    for index in range(rng.randint(1, 24)):
        if index:
            parts.append(rng.choice(SEPARATORS))
        parts.append(rng.choice(WORDS))
    return "".join(parts).strip()


def variant(rng: random.Random, text: str) -> str:
    words = text.split()
    for _ in range(rng.randint(0, 4)):
        action = rng.choice(("drop", "insert", "swap", "replace", "case"))
        if action == "drop" and words:
            words.pop(rng.randrange(len(words)))
        elif action == "insert":
            words.insert(rng.randint(0, len(words)), rng.choice(WORDS))
        elif action == "swap" and len(words) > 1:
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif action == "replace" and words:
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        elif action == "case" and words:
            i = rng.randrange(len(words))
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i].capitalize()
    return " ".join(words)


def ascii_pairs() -> list[tuple[str, str]]:
    rng = random.Random(20261202)
    pairs = [("user id", "user_id"), ("the fly", "the flies"), ("", "a b"), ("a b", ""), ("", "")]
    while len(pairs) < 450:
        reference = sentence(rng)
        output = variant(rng, reference) if rng.random() < 0.8 else sentence(rng)
        pairs.append((output, reference))
    return pairs


def bleu_scores(output: str, reference: str) -> dict:
    scores = {}
    for smoothing in (True, False):
        for case_sensitive in (True, False):
            bleu = BLEU(
                smooth_method="exp" if smoothing else "none", lowercase=not case_sensitive, effective_order=True
            )
            scores[f"smoothing={smoothing},case_sensitive={case_sensitive}"] = bleu.sentence_score(
                output, [reference]
            ).score
    return scores


def rouge_scores(output: str, reference: str, tokenizer_class=None) -> dict:
    scores = {}
    for use_stemmer in (False, True):
        options = {"tokenizer": tokenizer_class(use_stemmer)} if tokenizer_class else {"use_stemmer": use_stemmer}
        scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), **options)
        for name, value in scorer.score(reference, output).items():
            scores[f"{name[5:]},use_stemmer={use_stemmer}"] = value.fmeasure * 100
    return scores


def main() -> None:
    cases = []
    for output, reference in ascii_pairs():
        cases.append(
            {
                "output": output,
                "golden_answer": reference,
                "ascii": True,
                "bleu": bleu_scores(output, reference),
                "rouge": rouge_scores(output, reference),
            }
        )
    for output, reference in NON_ASCII:
        cases.append(
            {
                "output": output,
                "golden_answer": reference,
                "ascii": False,
                "bleu": bleu_scores(output, reference),
                "rouge": rouge_scores(output, reference, DocumentedTokenizer),
                "rouge_score_itself": rouge_scores(output, reference),
            }
        )
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in cases)
    header = json.dumps("rouge-score 0.1.2, sacrebleu 2.6.0, nltk 3.10.4")
    OUT.write_text(f'{{"generated_by": {header}, "cases": [\n{lines}\n]}}\n', encoding="utf-8")  # a case a line
    print(f"{len(cases)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
