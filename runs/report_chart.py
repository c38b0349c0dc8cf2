"""Server-rendered SVG histograms for the run report: plain markup, no script and nothing fetched."""

from django.utils.html import escape

BIN_COUNT = 10
WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 16, 10, 28


def bin_label(index: int) -> str:
    low = index * (100 // BIN_COUNT)
    high = low + 100 // BIN_COUNT
    return f"{low}-{high}" if index < BIN_COUNT - 1 else f"{low}-100"


def histogram_svg(counts: list[int], *, title: str, threshold: int | None = None) -> str:
    """Bars of `counts` (one per score range of 10, the last including 100) with a dashed line at `threshold`."""
    return _bars_svg([("bar", "", counts)], title=title, threshold=threshold, css="histogram")


def paired_histogram_svg(base: list[int], head: list[int], *, title: str, threshold: int | None = None) -> str:
    """Two runs' histograms in one frame, each range's base bar beside its head bar, on one scale."""
    series = [("bar base", "base ", base), ("bar head", "head ", head)]
    return _bars_svg(series, title=title, threshold=threshold, css="histogram paired")


def _bars_svg(series: list[tuple[str, str, list[int]]], *, title: str, threshold: int | None, css: str) -> str:
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    tallest = max((max(counts) for _, _, counts in series if counts), default=0) or 1
    bin_width = plot_width / BIN_COUNT
    bar_width = bin_width / len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_height}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" class="axis"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" class="tick">{tallest}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end" class="tick">0</text>',
    ]
    for position, (css_class, label, counts) in enumerate(series):
        for index, count in enumerate(counts):
            height = plot_height * count / tallest
            x = LEFT + index * bin_width + position * bar_width
            parts.append(
                f'<rect class="{css_class}" x="{x + 1:.1f}" y="{TOP + plot_height - height:.1f}" '
                f'width="{bar_width - 2:.1f}" height="{height:.1f}" data-bin="{index}" data-count="{count}">'
                f"<title>{label}scores {bin_label(index)}: {count}</title></rect>"
            )
    for tick in range(0, 101, 20):
        x = LEFT + plot_width * tick / 100
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle" class="tick">{tick}</text>')
    if threshold is not None:
        x = LEFT + plot_width * threshold / 100
        parts.append(
            f'<line class="threshold" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_height}">'
            f"<title>threshold {threshold}</title></line>"
        )
    parts.append(
        f'<text x="{LEFT + plot_width / 2:.1f}" y="{HEIGHT - 1}" text-anchor="middle" class="tick">score</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
