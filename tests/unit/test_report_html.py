"""report.html renders text from imported data (pair ids, answer sources, a dataset's fields) as text:
raw HTML is escaped, a javascript: link loses its address, and the report's own plots are still inlined."""

from __future__ import annotations

import base64

from components.reporting.html import to_html

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_imported_text_is_escaped_and_plots_still_inlined(tmp_path):
    (tmp_path / "plot.png").write_bytes(PNG)
    (tmp_path.parent / "outside.png").write_bytes(PNG)
    markdown = (
        "| source | accuracy |\n|---|---|\n| <script>alert('source')</script> | 0.5 |\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        "family `<b>code</b>` and <b onclick=alert(2)>inline</b> & [a link](javascript:alert(3))\n\n"
        "![plot](plot.png) ![outside](../outside.png)\n"
    )
    page = to_html(markdown, tmp_path, title="<script>t</script>")
    assert "<script" not in page
    assert "<img src=x" not in page and "<b onclick" not in page
    assert "&lt;script&gt;alert('source')&lt;/script&gt;" in page
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in page
    assert "javascript:" not in page
    assert page.count("data:image/png;base64,") == 1, "only the report folder's own plot is inlined"
    assert 'src="../outside.png"' in page
