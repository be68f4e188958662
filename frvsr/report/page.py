"""Building blocks of the self-contained HTML reports: tables, embedded PNGs, the page."""
from __future__ import annotations

import base64
import html


def html_table(header: list[str], rows: list[list[str]],
               row_classes: list[str] | None = None,
               cell_classes: list[list[str]] | None = None, table_class: str = "") -> str:
    """A table of escaped text; optional CSS classes per row, per cell and for the table."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = ""
    for i, r in enumerate(rows):
        rc = row_classes[i] if row_classes and row_classes[i] else ""
        cells = ""
        for j, c in enumerate(r):
            cc = cell_classes[i][j] if cell_classes and cell_classes[i][j] else ""
            cells += (f'<td class="{cc}">' if cc else "<td>") + f"{html.escape(c)}</td>"
        body += (f'<tr class="{rc}">' if rc else "<tr>") + cells + "</tr>"
    open_tag = f'<table class="{table_class}">' if table_class else "<table>"
    return f"{open_tag}<tr>{head}</tr>{body}</table>"


def kv_table(pairs: list[tuple[str, str]]) -> str:
    """A two-column key / value table (escaped), for run facts and conventions."""
    rows = "".join(f'<tr><th class="key">{html.escape(k)}</th><td class="text">'
                   f"{html.escape(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv">{rows}</table>'


def img_tag(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
       "pre{background:#f4f4f4;padding:8px;font-size:12px;white-space:pre-wrap}"
       "th{background:#f4f4f4}tr.summary td{font-weight:bold;background:#fafafa}"
       "tr.reference td{color:#555;background:#f7f7f7}tr.delta td{font-style:italic}"
       "td.better{color:#17803d}td.worse{color:#b42318}td.best{font-weight:bold}"
       "table.kv th.key{text-align:left;white-space:nowrap;vertical-align:top}"
       "table.kv td.text,td.text{text-align:left}p.note{color:#555;font-size:13px}"
       "table.text td,table.text th{text-align:left;vertical-align:top}"
       "table.text td:nth-child(2){white-space:nowrap}")


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts += [f"<h2>{html.escape(h)}</h2>{body}" for h, body in sections]
    return "".join(parts) + "</body></html>\n"
