"""Cheap deterministic views of a text for the evasion and obfuscation metric: what is hidden, encoded or disguised.

Pure Python, no network. Every pass is a regular expression anchored at token boundaries, a C-level string
operation or a count over distinct characters, so a megabyte of hostile text costs well under a second; what is
reported back is capped, so the judge and the metadata stay small whatever the input holds.
"""

from __future__ import annotations

import base64
import binascii
import html
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from ..base import JSON

MAX_EXAMPLES = 5  # examples quoted per kind of finding
MAX_SEGMENTS = 20  # decoded segments reported
MAX_SNIPPET = 120  # characters of an encoded segment quoted back
MAX_DECODED = 2000  # characters of one decoded segment kept
NESTING = 3  # layers of decoding tried, for base64 inside hex and the like

# Characters that render as nothing (or only steer rendering) but survive copy and paste, as code point ranges.
# The emoji presentation selectors U+FE0E/U+FE0F are left out: they follow ordinary emoji everywhere.
INVISIBLE_RANGES = {
    "zero_width": ((0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF), (0x180E, 0x180E)),
    "bidi_control": ((0x200E, 0x200F), (0x061C, 0x061C), (0x202A, 0x202E), (0x2066, 0x2069)),
    "tag_character": ((0xE0000, 0xE007F),),
    "variation_selector": ((0xFE00, 0xFE0D), (0xE0100, 0xE01EF), (0x180B, 0x180D), (0x180F, 0x180F)),
    "other_invisible": (
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x115F, 0x1160),  # Hangul fillers
        (0x17B4, 0x17B5),
        (0x2061, 0x2064),  # invisible operators
        (0x206A, 0x206F),
        (0x3164, 0x3164),
        (0xFFA0, 0xFFA0),
        (0x1D173, 0x1D17A),
    ),
}
_KIND_OF = {
    chr(code): kind
    for kind, ranges in INVISIBLE_RANGES.items()
    for low, high in ranges
    for code in range(low, high + 1)
}


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(chr(low) if low == high else f"{chr(low)}-{chr(high)}" for low, high in ranges)


INVISIBLE = re.compile("[" + "".join(_char_class(ranges) for ranges in INVISIBLE_RANGES.values()) + "]")
# A soft hyphen inside a word is ordinary hyphenation from web pages; a zero-width, bidi, tag, selector or joiner
# character there splits the word so that a filter no longer recognises it.
_SPLITTERS = "".join(_char_class(ranges) for kind, ranges in INVISIBLE_RANGES.items() if kind != "other_invisible")
SPLIT_WORD = re.compile(rf"(?<=[A-Za-z])[{_SPLITTERS}\u034f\u2061-\u2064]+(?=[A-Za-z])")
TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")
FLAG_TAGS = re.compile("[\U000e0030-\U000e0039\U000e0061-\U000e007a]+\U000e007f")
SELECTOR_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{2,}")

# Cyrillic and Greek letters that render like Latin ones. Only common look-alikes: the point is to read a
# disguised word, not to transliterate.
LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "е": "e", "к": "k", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
        "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ѵ": "v",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
        "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Ӏ": "I",
        # Greek
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    }
)  # fmt: skip
_LOOKALIKE_CHARS = "".join(chr(code) for code in LOOKALIKES)
LOOKALIKE = re.compile(f"[{_LOOKALIKE_CHARS}]")
ASCII_LETTER = re.compile("[A-Za-z]")
MIXED_HINT = re.compile(rf"[A-Za-z][0-9_]*[{_LOOKALIKE_CHARS}]|[{_LOOKALIKE_CHARS}][0-9_]*[A-Za-z]")
LOOKALIKE_WORD = re.compile(rf"(?<!\w)\w*[{_LOOKALIKE_CHARS}]\w*")

# Encoded segments, each anchored at a boundary so that no pattern rescans a long token from every position.
BASE64 = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_=-])")
HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")
HEX_ESCAPES = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){3,}")
UNICODE_ESCAPES = re.compile(r"(?:\\u[0-9A-Fa-f]{4}){3,}")
HTML_ENTITIES = re.compile(r"(?:&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});){3,}")
PERCENT_TOKEN = re.compile(r"(?<!\S)\S*%[0-9A-Fa-f]{2}\S*")
ESCAPED_ALPHANUMERIC = re.compile(r"%(?:3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa])")


# Findings with no ordinary use (see Inspection.conceals_text).
CONCEALING_KINDS = frozenset({"hidden_text", "split_words", "mixed_script_words"})


@dataclass(frozen=True)
class Inspection:
    """What the deterministic passes found in one text, and the text as a reader would take it."""

    findings: list[dict[str, JSON]] = field(default_factory=list)
    decoded: list[dict[str, JSON]] = field(default_factory=list)
    hidden_text: list[str] = field(default_factory=list)
    normalized: str = ""
    # The normalized text differs because of a finding; typographic compatibility forms alone (a no-break space,
    # an ellipsis) do not count.
    changed: bool = False

    @property
    def conceals_text(self) -> bool:
        """True when the text carries content a reader cannot see or would misread, by construction.

        Invisible characters that spell out text, invisible characters splitting Latin words, and Latin words
        with Cyrillic or Greek letters in them have no ordinary use; an encoding that is plainly visible
        (base64, hex, percent escapes) has many, so only the judge can weigh it.
        """
        return any(finding["kind"] in CONCEALING_KINDS for finding in self.findings)

    def summary(self) -> dict[str, JSON]:
        return {
            "findings": self.findings,
            "decoded_segments": self.decoded,
            "hidden_text": self.hidden_text,
            "normalized_text_differs": self.changed,
            "conceals_text": self.conceals_text,
        }


def inspect(text: str) -> Inspection:
    findings: list[dict[str, JSON]] = []
    hidden = _hidden_text(text)
    counts = Counter(text)
    findings += _invisible_findings(counts)
    if hidden:
        findings.append(_finding("hidden_text", len(hidden), hidden))
    splits = len(SPLIT_WORD.findall(text))
    if splits:
        first = itertools.islice(SPLIT_WORD.finditer(text), MAX_EXAMPLES)
        examples = [_escape(text[max(0, split.start() - 15) : split.end() + 15]) for split in first]
        findings.append(_finding("split_words", splits, examples))
    visible = INVISIBLE.sub("", text) if any(char in _KIND_OF for char in counts) else text
    styled = _styled_letters(counts)
    if styled:
        findings.append(_finding("styled_letters", sum(styled.values()), list(styled)))
    normalized = unicodedata.normalize("NFKC", visible)
    normalized, folded = _fold_lookalikes(normalized)
    for kind, words in folded.items():
        findings.append(_finding(kind, sum(words.values()), [f"{word} -> {latin}" for word, latin in words]))
    decoded: list[dict[str, JSON]] = []
    per_encoding: Counter[str] = Counter()
    _decode_segments(normalized, NESTING, decoded, per_encoding)
    findings += [_finding(f"{encoding}_segments", count, []) for encoding, count in per_encoding.items()]
    return Inspection(
        findings=findings,
        decoded=decoded,
        hidden_text=[_clip(item, MAX_DECODED) for item in hidden[:MAX_SEGMENTS]],
        normalized=normalized,
        changed=normalized != text and any(not finding["kind"].endswith("_segments") for finding in findings),
    )


def _finding(kind: str, count: int, examples: list[str]) -> dict[str, JSON]:
    return {"kind": kind, "count": count, "examples": [_clip(item, MAX_SNIPPET) for item in examples[:MAX_EXAMPLES]]}


def _invisible_findings(counts: Counter[str]) -> list[dict[str, JSON]]:
    per_kind: dict[str, Counter[str]] = {}
    for char, count in counts.items():
        kind = _KIND_OF.get(char)
        if kind:
            per_kind.setdefault(kind, Counter())[f"U+{ord(char):04X}"] += count
    return [
        _finding(kind, sum(found.values()), [code for code, _count in found.most_common()])
        for kind, found in per_kind.items()
    ]


def _hidden_text(text: str) -> list[str]:
    """Text spelled out in Unicode tag characters or in runs of variation selectors (one byte per selector)."""
    hidden = []
    spelled: str | None
    for run in TAG_RUN.finditer(text):
        if run.start() > 0 and text[run.start() - 1] == "\U0001f3f4" and FLAG_TAGS.fullmatch(run.group()):
            continue  # the tag sequence of a subdivision flag such as England's
        spelled = "".join(chr(ord(char) - 0xE0000) for char in run.group() if 0xE0020 <= ord(char) <= 0xE007E)
        if spelled.strip():
            hidden.append(spelled)
    for run in SELECTOR_RUN.finditer(text):
        data = bytes(ord(char) - 0xFE00 if ord(char) <= 0xFE0F else ord(char) - 0xE0100 + 16 for char in run.group())
        spelled = _readable(data)
        if spelled:
            hidden.append(spelled)
    return hidden


def _styled_letters(counts: Counter[str]) -> Counter[str]:
    """Fullwidth, mathematical, circled and similar forms that compatibility normalization turns into ASCII."""
    styled: Counter[str] = Counter()
    for char, count in counts.items():
        if char.isascii() or char in _KIND_OF:
            continue
        plain = unicodedata.normalize("NFKC", char)
        if len(plain) == 1 and plain.isascii() and plain.isalnum():
            styled[char] += count
    return styled


def _fold_lookalikes(text: str) -> tuple[str, defaultdict[str, Counter[tuple[str, str]]]]:
    """Read Cyrillic and Greek look-alikes as Latin inside Latin words, and whole words of them in Latin text.

    Returns the folded text and, per kind, a count per (word, folded word): "mixed_script_words" mix both
    scripts in one word (no ordinary use); "lookalike_words" are wholly Cyrillic or Greek words that read as
    Latin ones, which a quoted foreign word can also be.
    """
    folded: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    if not LOOKALIKE.search(text):
        return text, folded
    letters = [char for char in text[:100_000] if char.isalpha()]
    mostly_latin = bool(letters) and sum(char.isascii() for char in letters) >= 0.8 * len(letters)
    if not mostly_latin and not MIXED_HINT.search(text):
        return text, folded  # Cyrillic or Greek prose with no Latin letter inside its words

    seen: dict[str, str] = {}  # word -> how it reads; hostile text repeats its words

    def fold(match: re.Match[str]) -> str:
        word = match.group()
        if word in seen:
            latin = seen[word]
        else:
            latin = seen[word] = word.translate(LOOKALIKES) if _disguises(word, mostly_latin) else word
        if latin != word:
            folded["mixed_script_words" if ASCII_LETTER.search(word) else "lookalike_words"][word, latin] += 1
        return latin

    return LOOKALIKE_WORD.sub(fold, text), folded


def _disguises(word: str, mostly_latin: bool) -> bool:
    """A Latin word with look-alikes in it, or (in Latin text) a word made only of look-alikes."""
    if ASCII_LETTER.search(word):
        return True
    return mostly_latin and all(char in _LOOKALIKE_CHARS for char in word if char.isalpha())


def _decode_segments(text: str, depth: int, found: list[dict[str, JSON]], per_encoding: Counter[str]) -> None:
    """Append the first MAX_SEGMENTS decodable segments to `found` (each decoded text inspected again while
    `depth` allows) and count every one per encoding."""
    for encoding, marker, pattern, decode in DECODERS:
        if marker not in text:
            continue
        for match in pattern.finditer(text):
            plain = decode(match.group())
            if not plain or plain == match.group():
                continue
            per_encoding[encoding] += 1
            if len(found) < MAX_SEGMENTS:
                found.append(
                    {"encoding": encoding, "segment": _clip(match.group(), MAX_SNIPPET), "decoded": plain[:MAX_DECODED]}
                )
                if depth > 1:
                    _decode_segments(plain, depth - 1, found, per_encoding)


def _decode_base64(segment: str) -> str | None:
    core = segment.rstrip("=")
    urlsafe = "-" in core or "_" in core
    if len(core) % 4 == 1 or (urlsafe and ("+" in core or "/" in core)):
        return None
    padded = core + "=" * (-len(core) % 4)
    try:
        data = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(data)


def _decode_hex(segment: str) -> str | None:
    return _readable(bytes.fromhex(segment))


def _decode_hex_escapes(segment: str) -> str | None:
    return _readable(bytes.fromhex(segment.replace("\\x", "")))


def _decode_unicode_escapes(segment: str) -> str | None:
    return _readable_text("".join(chr(int(code, 16)) for code in segment.split("\\u")[1:]))


def _decode_html_entities(segment: str) -> str | None:
    return _readable_text(html.unescape(segment))


def _decode_percent(segment: str) -> str | None:
    # Ordinary URLs escape a space or two; escaping many characters, or ones that never need it, is disguise.
    if segment.count("%") < 3 and not ESCAPED_ALPHANUMERIC.search(segment):
        return None
    return _readable(unquote_to_bytes(segment))


# (name, a substring every match contains, pattern, decoder): the substring skips a pattern cheaply.
DECODERS = (
    ("base64", "", BASE64, _decode_base64),
    ("hex", "", HEX, _decode_hex),
    ("hex_escapes", "\\x", HEX_ESCAPES, _decode_hex_escapes),
    ("unicode_escapes", "\\u", UNICODE_ESCAPES, _decode_unicode_escapes),
    ("html_entities", "&#", HTML_ENTITIES, _decode_html_entities),
    ("percent_encoding", "%", PERCENT_TOKEN, _decode_percent),
)


def _readable(data: bytes) -> str | None:
    try:
        return _readable_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _readable_text(text: str) -> str | None:
    """Text a person could read: printable apart from line breaks and tabs, with a few letters in it.

    Random bytes almost never pass, so a match says the segment was deliberately encoded text.
    """
    if not text.strip() or not text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable():
        return None
    if sum(char.isalpha() for char in text[:1000]) < 4:
        return None
    return text


def _escape(text: str) -> str:
    return "".join(f"<U+{ord(char):04X}>" if char in _KIND_OF else char for char in text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
