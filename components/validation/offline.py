"""Make Great Expectations' Data Docs pages readable with no network. GX's pages load Bootstrap,
jQuery, bootstrap-table, Font Awesome and vega from CDNs, and a logo from S3; offline those requests
fail and a page stalls on them. The content itself is static HTML rendered by GX, so here every
<script> (CDN libraries, and inline code that needs jQuery) and every <link> (CDN stylesheets, the
favicon) goes, remote images and CSS urls go, and a small stylesheet of our own replaces Bootstrap's
looks and Font Awesome's pass/fail icons. GX's static/ folder (fonts and ~3 MB of GIFs no page uses)
is dropped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
LINK = re.compile(r"<link\b[^>]*>", re.I)
REMOTE_IMG = re.compile(r"""<img\b[^>]*\bsrc=["'](?:https?:)?//[^>]*>""", re.I)
REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//[^)]*\)""", re.I)
# What a page would fetch: script and image sources, link targets (stylesheets, icons), CSS urls.
FETCHED = re.compile(
    r"""<script\b[^>]*\bsrc=["']([^"']+)|<img\b[^>]*\bsrc=["']([^"']+)|<link\b[^>]*\bhref=["']([^"']+)"""
    r"""|url\(\s*["']?([^"')]+)""",
    re.I,
)

STYLE = """<style>/* judgeops: offline stand-ins for Bootstrap and Font Awesome */
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; }
.card { border: 1px solid #ddd; border-radius: 4px; margin: .75rem 0; padding: .5rem; }
.text-danger { color: #b00020; } .text-success { color: #1b7f3b; } .text-warning { color: #a66a00; }
.fas::before { font-style: normal; font-weight: bold; }
.fa-check-circle::before, .fa-check::before { content: "\\2714  "; }
.fa-times::before, .fa-times-circle::before { content: "\\2718  "; }
.fa-exclamation-triangle::before { content: "\\26A0  "; }
.collapse { display: block; } .d-none { display: none; } .sr-only { display: none; }
.card:has(.btn-group-toggle) { display: none; } /* the show-all/failed-only filter needs jQuery */
</style>"""


def make_offline(folder: Path) -> None:
    """Rewrite every page under ``folder`` in place and drop GX's static assets."""
    for page in folder.rglob("*.html"):
        page.write_text(offline_html(page.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.rmtree(folder / "static", ignore_errors=True)


def offline_html(html: str) -> str:
    html = SCRIPT.sub("", html)
    html = LINK.sub("", html)
    html = REMOTE_IMG.sub("", html)
    html = REMOTE_CSS_URL.sub("none", html)
    return re.sub(r"</head>", lambda _: STYLE + "</head>", html, count=1, flags=re.I)


def fetched_urls(html: str) -> list[str]:
    """Every URL the page would fetch to render (not plain links a reader may follow)."""
    return [next(group for group in match.groups() if group) for match in FETCHED.finditer(html)]
