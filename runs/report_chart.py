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
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    tallest = max(counts) if counts and max(counts) > 0 else 1
    bar_width = plot_width / BIN_COUNT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_height}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" class="axis"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" class="tick">{tallest}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end" class="tick">0</text>',
    ]
    for index, count in enumerate(counts):
        height = plot_height * count / tallest
        x = LEFT + index * bar_width
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{TOP + plot_height - height:.1f}" width="{bar_width - 2:.1f}" '
            f'height="{height:.1f}" data-bin="{index}" data-count="{count}">'
            f"<title>scores {bin_label(index)}: {count}</title></rect>"
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
