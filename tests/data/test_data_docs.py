"""The validate stage's Great Expectations Data Docs on a tiny fixture: GX's pages for every table
validated, under an index that lists them without JavaScript, and no page fetching anything from the
network (GX's own pages load Bootstrap, jQuery and Font Awesome from CDNs; offline.py removes them)."""

from __future__ import annotations

import re

import pytest

from components import paths
from components.config import ValidateParams
from components.io import write_jsonl
from components.reporting.html import to_html
from components.reporting.markdown import data_docs_link
from components.validation import run_gate
from components.validation.data_docs import build_data_docs
from components.validation.offline import fetched_urls, offline_html
from tests.factories import audit_pairs

GX_HEAD = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="shortcut icon" href="../static/images/favicon.ico" type="image/x-icon"/>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<style>.logo { background: url('https://great-expectations-web-assets.s3.amazonaws.com/logo.png') }</style>
</head><body><img src="//example.org/logo.png"><table><td>kept</td></table>
<script>$(".x").fadeIn();</script><a href="https://greatexpectations.io">a link, not a fetch</a></body></html>"""


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """A gate over six pairs, one with a verdict outside (0, 1, 2), and its Data Docs."""
    folder = tmp_path_factory.mktemp("validation")
    pairs = [pair.model_dump() for pair in audit_pairs(6)]
    pairs[3]["verdict"] = 7
    write_jsonl(folder / "pairs.jsonl", pairs)
    gate = run_gate({"pairs": ("pairs", folder / "pairs.jsonl")}, ValidateParams())
    return gate, build_data_docs(gate, folder / "data_docs")


def test_the_offline_rewrite_leaves_nothing_to_fetch():
    assert len(fetched_urls(GX_HEAD)) == 5, "the check itself must see what GX's pages fetch"
    page = offline_html(GX_HEAD)
    assert fetched_urls(page) == []
    assert "<script" not in page and "<td>kept</td>" in page and "greatexpectations.io" in page
    assert "offline stand-ins" in page


def test_every_table_validated_has_a_page_listed_in_the_index(docs):
    gate, index = docs
    html = index.read_text()
    tables = [suite.name for result in gate.results for suite, _ in result.gx_results]
    assert len(tables) >= 2 and all(name in html for name in tables)
    for href in re.findall(r"href='([^']+)'", html):
        assert (index.parent / href).is_file(), f"the index links {href}, which was not written"
    assert "failed" in html and "passed" in html


def test_the_failing_expectation_is_on_its_page(docs):
    gate, index = docs
    assert [row.expectation for row in gate.failures()] == ["records:parse"]
    (page,) = (index.parent / "validations" / "pairs" / "pairs" / "lines").rglob("*.html")
    text = page.read_text()
    assert "fa-times text-danger" in text and "field 'verdict': Value error, must be one of (0, 1, 2)" in text


def test_no_page_fetches_from_the_network(docs):
    _, index = docs
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) >= 5
    remote = {p.name: [u for u in fetched_urls(p.read_text()) if re.match(r"(https?:)?//", u)] for p in pages}
    assert not any(remote.values()), remote
    assert not any("<script" in p.read_text() for p in pages)
    assert not (index.parent / "static").exists(), "GX's fonts and GIFs (~4 MB) are not needed"


def test_the_report_links_the_data_docs():
    line = data_docs_link()
    target = re.search(r"\]\(([^)]+)\)", line).group(1)
    assert paths.REPORTS / target == paths.DATA_DOCS / "index.html"
    assert f'href="{target}"' in to_html(line, paths.REPORTS)


def test_every_detail_page_links_back_to_the_index(docs):
    _, index = docs
    pages = [page for page in index.parent.rglob("*.html") if page != index]
    assert pages
    for page in pages:
        back = re.findall(r"href='([^']*index\.html)'>&larr; Data Docs index", page.read_text())
        assert back, f"{page} has no link back to the index"
        assert (page.parent / back[0]).resolve() == index.resolve()
