"""The report as one HTML file that opens anywhere: plots inlined as data URIs, no CDN, no other file.

The report's text carries strings from imported data (pair ids, answer sources, family names, a dataset's
own fields), so it is rendered as text, never as markup: raw HTML in the markdown (a ``<script>``, an
``<img onerror=...>``) comes out escaped, a link or image whose address has a scheme other than http(s) or
mailto (``javascript:``) loses its address, and only a ``.png`` inside the report's folder is inlined.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

SAFE_SCHEMES = ("http:", "https:", "mailto:")
_ADDRESS = re.compile(r'\b(href|src)="([^"]*)"')


def to_html(markdown_text: str, base: Path, title: str = "judgeops report") -> str:
    """Markdown -> one HTML file with every image (a path relative to ``base``) embedded as a data URI."""
    import markdown

    converter = markdown.Markdown(extensions=["tables"])
    # Raw HTML, as a block or inline, is text like any other: escaped, not passed through.
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    body = converter.convert(markdown_text)
    root = base.resolve()

    def address(match: re.Match) -> str:
        attribute, value = match.group(1), html.unescape(match.group(2))
        scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*:)", value)
        if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
            return f'{attribute}=""'
        if attribute == "src" and scheme is None and value.endswith(".png"):
            path = (root / value).resolve()
            if path.is_relative_to(root) and path.is_file():
                return f'src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"'
        return match.group(0)

    body = _ADDRESS.sub(address, body)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "th{background:#f3f3f3}code{background:#f6f6f6;padding:1px 4px}img{max-width:100%}"
    )
    head = f"<meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>\n"
