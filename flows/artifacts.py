"""Prefect artifacts for a flow run, so its page tells the story without opening a file: a link to the
MLflow parent run (published as soon as the run exists, so a failed run has it too), then the headline
table, a link to the report on the MLflow UI, the judge card with the promotion decision, and the audit
flags (with CIs), from the files this run's stages wrote. Keys are fixed, so the Prefect UI keeps each one's
history across runs. Outside a flow run (the flow's function called directly, as tests do) there is nothing
to attach them to, and nothing is published."""

from __future__ import annotations

import json
from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext

from components import paths
from components.reporting.run_summary import audit_result_flags, headline_markdown, mlflow_run_url


def in_flow_run() -> bool:
    return FlowRunContext.get() is not None


def publish_mlflow_run(run_id: str, tracking_uri: str) -> None:
    if not in_flow_run():
        return
    create_link_artifact(
        key="mlflow-run",
        link=mlflow_run_url(tracking_uri, run_id),
        link_text=f"MLflow parent run {run_id}",
        description=f"Every stage's run nests under it. Tracking store: {tracking_uri}",
    )


def publish_results(root: Path, stages: list[str], report_url: str) -> list[str]:
    """The headline, report and judge card (when this run ran the report stage) and the audit flags (when it ran
    the audit stage): a stage left out may have left files from an older run. The report is linked where a
    browser opens it from the Prefect UI, ``report_url``: the MLflow UI's view of the parent run's artifact
    ``report/report.html`` (the report stage's wrapper logs it there). Returns the keys published."""
    if not in_flow_run():
        return []
    published = []
    headline = root / paths.REPORTS / "headline.json"
    if "report" in stages and headline.is_file():
        create_markdown_artifact(
            key="headline",
            markdown=headline_markdown(json.loads(headline.read_text())),
            description="Agreement with the teacher on the test split",
        )
        report = (root / paths.REPORTS / "report.html").resolve()
        create_link_artifact(
            key="report",
            link=report_url,
            link_text="The report on the MLflow UI (the pipeline run's artifact report/report.html)",
            description=f"The full report, also in the workspace: {report} and {report.with_suffix('.md')}",
        )
        published += ["headline", "report"]
        card = root / paths.REPORTS / "judge_card.md"
        if card.is_file():
            create_markdown_artifact(
                key="judge-card",
                markdown=card.read_text(),
                description="The registered judge's card: what it is, how good, what fools it, the promotion decision",
            )
            published.append("judge-card")
    audit = root / paths.AUDIT / "results.json"
    if "audit" in stages and audit.is_file():
        publish_audit_flags(audit_result_flags(json.loads(audit.read_text())))
        published.append("audit-flags")
    return published


def publish_audit_flags(rows: list[dict]) -> None:
    flagged = sum(row["flag"] == "FLAGGED" for row in rows)
    not_run = sum(row["flag"].startswith("not run") for row in rows)
    create_table_artifact(
        key="audit-flags",
        table=rows,
        description=f"Bias audit: {flagged} of {len(rows)} probes flagged, {not_run} not run; "
        "a probe flags only when its 95% CI lies wholly past its line",
    )


def publish_audit_results(results_file: Path) -> None:
    """The flow's audit mode: the flags from `judgeops audit --out`'s results.json."""
    if not in_flow_run():
        return
    publish_audit_flags(audit_result_flags(json.loads(results_file.read_text())))
