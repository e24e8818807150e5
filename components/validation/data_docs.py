"""Great Expectations Data Docs for a validation gate: GX's own static HTML pages (one per validated
table, one per expectation suite), built from the gate's results into a folder and made readable
offline (components/validation/offline.py), under an index of our own: GX's index fills its tables
with JavaScript from CDNs, so offline it is empty. A fresh ephemeral GX context holds exactly this
gate's results, so nothing from an earlier validation in the same process leaks in."""

from __future__ import annotations

import html
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from components.validation.engine import quiet_context
from components.validation.offline import STYLE, make_offline
from components.validation.results import GateResult

SITE = "judgeops"


def build_data_docs(gate: GateResult, folder: Path, run_name: str = "validate") -> Path:
    """Write the site into ``folder`` (emptied first) and return its index.html."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = quiet_context()
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    rows = []
    for result in gate.results:
        for suite, outcome in result.gx_results:
            context.suites.add(suite)
            outcome.meta["run_id"] = run  # the page's "Run Name" and "Run Time"
            key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite.name), run, result.dataset)
            context.validation_results_store.set(key, outcome)
            rows.append((result.dataset, suite.name, outcome))
    context.build_data_docs(site_names=[SITE])
    make_offline(folder)
    index = folder / "index.html"
    index.write_text(_index(folder, rows, run_name), encoding="utf-8")
    link_back(folder)
    return index


def link_back(folder: Path) -> None:
    """Put a link back to the site's index at the top of every page under it but the index."""
    for page in folder.rglob("*.html"):
        if page == folder / "index.html":
            continue
        target = Path(*[".."] * (len(page.relative_to(folder).parts) - 1), "index.html").as_posix()
        text = page.read_text(encoding="utf-8")
        link = f"<p class='judgeops-back'><a href='{target}'>&larr; Data Docs index</a></p>"
        if "judgeops-back" not in text:
            text, found = re.subn(r"(<body[^>]*>)", lambda m, link=link: m.group(1) + link, text, count=1)
            page.write_text(text if found else link + text, encoding="utf-8")


def _index(folder: Path, rows: list[tuple], run_name: str) -> str:
    lines = []
    for dataset, suite, outcome in rows:
        parts = suite.split(".")
        page = next((folder / "validations").joinpath(*parts).rglob("*.html"))
        stats = outcome.statistics
        lines.append(
            "<tr>"
            f"<td>{html.escape(dataset)}</td><td>{html.escape(parts[-1])}</td>"
            f"<td class='{'text-success' if outcome.success else 'text-danger'}'>"
            f"{'passed' if outcome.success else 'failed'}</td>"
            f"<td>{stats['evaluated_expectations']}</td><td>{stats['unsuccessful_expectations']}</td>"
            f"<td><a href='{page.relative_to(folder).as_posix()}'>results</a></td>"
            f"<td><a href='{Path('expectations', *parts).as_posix()}.html'>{html.escape(suite)}</a></td>"
            "</tr>"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Data Docs: {run_name}</title>{STYLE}</head><body>"
        f"<h1>Great Expectations Data Docs: {html.escape(run_name)}</h1>"
        "<p>One row per table GX validated (a dataset is checked as several tables: its raw rows, its parsed "
        "rows, derived statistics). A failed table may hold only warnings: the gate fails on critical "
        "expectations alone (data/validation/summary.md).</p>"
        "<table><tr><th>dataset</th><th>table</th><th>status</th><th>expectations</th><th>failed</th>"
        "<th>validation</th><th>expectation suite</th></tr>" + "".join(lines) + "</table></body></html>\n"
    )
