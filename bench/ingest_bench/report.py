"""The table a run prints."""

from dataclasses import dataclass


@dataclass
class Row:
    what: str
    seconds: float | None = None
    baseline: str = ""
    ratio: float | None = None
    target: float | None = None
    rss_kb: int | None = None
    size: int | None = None
    note: str = ""


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"


def print_table(rows: list[Row]) -> None:
    header = ("measurement", "time", "vs", "ratio", "target", "ok", "worker RSS", "bytes", "note")
    lines = [header]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        target = "" if row.target is None else f"<={row.target}x"
        ok = "" if row.target is None or row.ratio is None else ("PASS" if row.ratio <= row.target else "MISS")
        rss = "" if row.rss_kb is None else f"{row.rss_kb / 1024:.0f} MB"
        lines.append((row.what, _seconds(row.seconds), row.baseline, ratio, target, ok, rss, _size(row.size), row.note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))
