"""The report as one HTML file that opens anywhere: plots inlined as data URIs, no CDN, no other file."""

from __future__ import annotations

import base64
import re
from pathlib import Path


def to_html(markdown_text: str, base: Path, title: str = "judgeops report") -> str:
    """Markdown -> one HTML file with every image (a path relative to ``base``) embedded as a data URI."""
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables"])

    def inline(match: re.Match) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', inline, body)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "th{background:#f3f3f3}code{background:#f6f6f6;padding:1px 4px}img{max-width:100%}"
    )
    head = f"<meta charset='utf-8'><title>{title}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>\n"
