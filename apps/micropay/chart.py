"""Month-to-date spend against the monthly limit, one bar per account, as server-drawn SVG.

No JavaScript: the page embeds the SVG inline. Each bar is the limit (light track) with the
spend drawn over it -- amber past 80 %, red at the limit -- and the figures written beside it,
so the chart reads without colour too. It has a title and a description for screen readers,
and the operator page shows the same figures in a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from apps.micropay import amounts

WIDTH = 360  # drawn at about this width, so phones (390 px) show it near its natural size
ROW_H = 42
BAR_H = 14
TEXT_H = 16  # the row's words, above its bar
WARN_SHARE = Decimal("0.8")


@dataclass(frozen=True)
class Bar:
    label: str
    spent: Decimal
    limit: Decimal | None
    currency: str


def _colour(share: Decimal) -> str:
    if share >= 1:
        return "#b3261e"
    if share >= WARN_SHARE:
        return "#b26a00"
    return "#1f6f43"


def spend_chart(bars: list[Bar]) -> str:
    """One row per account: its number and figures on a line, the bar under them across the
    whole width -- nothing is drawn past the right edge, however narrow the screen."""
    height = max(1, len(bars)) * ROW_H + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="spend-title spend-desc" class="chart">',
        '<title id="spend-title">Month-to-date spend against the monthly limit</title>',
        '<desc id="spend-desc">One bar per account: the spend this month over the limit.</desc>',
    ]
    if not bars:
        out.append('<text x="0" y="20">No accounts yet.</text>')
    for i, bar in enumerate(bars):
        y = 4 + i * ROW_H
        if bar.limit is None or bar.limit <= 0:
            share = None
            note = f"{amounts.show(bar.spent, bar.currency)} spent · no monthly limit"
        else:
            share = bar.spent / bar.limit
            note = (
                f"{amounts.show(bar.spent, bar.currency)} of "
                f"{amounts.show(bar.limit, bar.currency)} ({int(share * 100)}%)"
            )
        out.append(
            f'<text x="0" y="{y + TEXT_H - 4}"><tspan class="chart-label">{escape(bar.label)}'
            f'</tspan><tspan class="chart-note" dx="8">{escape(note)}</tspan></text>'
        )
        bar_y = y + TEXT_H
        out.append(
            f'<rect x="0" y="{bar_y}" width="{WIDTH}" height="{BAR_H}" fill="#e6e6e6" rx="3"/>'
        )
        if share is not None:
            width = int(WIDTH * min(share, Decimal(1)))
            out.append(
                f'<rect x="0" y="{bar_y}" width="{width}" height="{BAR_H}" '
                f'fill="{_colour(share)}" rx="3"/>'
            )
    out.append("</svg>")
    return "\n".join(out)
