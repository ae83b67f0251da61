"""Inline SVG charts for the HTML report (no scripts, no external resources; text is escaped)."""

from __future__ import annotations

from html import escape

from anonymiser.report.model import RiskTable

STATUS_COLOURS = {"Protected": "#2e7d32", "Kept with justification": "#f9a825", "At risk": "#c62828",
                  "Not personal": "#90a4ae"}


def coverage_bar(counts: dict[str, int], width: int = 640) -> str:
    """One stacked bar: columns by status, with a legend."""
    total = sum(counts.values()) or 1
    x = 0.0
    parts = []
    legend = []
    for i, (status, colour) in enumerate(STATUS_COLOURS.items()):
        n = counts.get(status, 0)
        w = width * n / total
        if n:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="26" fill="{colour}">'
                         f"<title>{escape(status)}: {n}</title></rect>")
        x += w
        lx = 8 + i * (width // 4)
        legend.append(f'<rect x="{lx}" y="36" width="12" height="12" fill="{colour}"/>'
                      f'<text x="{lx + 17}" y="46" font-size="12">{escape(status)} ({n})</text>')
    return (f'<svg role="img" aria-label="Columns by status" width="{width}" height="54" '
            f'viewBox="0 0 {width} 54" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}{"".join(legend)}</svg>')


def class_size_chart(risk: RiskTable, k_target: int, width: int = 640, height: int = 170) -> str:
    """Records per equivalence-class size bucket; red where the class is smaller than the k target."""
    buckets = risk.buckets
    if not buckets:
        return ""
    top = max(b.records for b in buckets) or 1
    slot = width / len(buckets)
    plot = height - 40
    bars = []
    for i, b in enumerate(buckets):
        low = int(b.label.split("–")[0].split(" ")[0].rstrip("+"))
        colour = "#c62828" if low < k_target else "#2e7d32"
        h = plot * b.records / top
        x = i * slot + 10
        bars.append(
            f'<rect x="{x:.1f}" y="{plot - h + 14:.1f}" width="{slot - 20:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>class size {escape(b.label)}: {b.records} records in {b.classes} classes</title></rect>"
            f'<text x="{x + (slot - 20) / 2:.1f}" y="{plot - h + 10:.1f}" font-size="11" text-anchor="middle">'
            f"{b.records}</text>"
            f'<text x="{x + (slot - 20) / 2:.1f}" y="{height - 10}" font-size="11" text-anchor="middle">'
            f"{escape(b.label)}</text>")
    return (f'<svg role="img" aria-label="Records by equivalence class size in {escape(risk.table)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
            f'<line x1="0" y1="{plot + 14}" x2="{width}" y2="{plot + 14}" stroke="#555"/>{"".join(bars)}</svg>')
