"""What a flow run's Prefect artifacts say, made from the files the stages write."""

from components.reporting.run_summary import audit_result_flags, headline_markdown, mlflow_artifact_url, mlflow_run_url

HEADLINE = {
    "agreement_gain": 0.6417,
    "agreement_gain_low": 0.5417,
    "agreement_gain_high": 0.7417,
    "base.accuracy": 0.075,
    "base.accuracy_low": 0.033,
    "base.accuracy_high": 0.125,
    "base.cohen_kappa": -0.0054,
    "base.consistency": 0.4417,
    "base.f1_macro": 0.0915,
    "base.parse_failure_rate": 0.5583,
    "finetuned.accuracy": 0.7167,
    "finetuned.accuracy_low": 0.6333,
    "finetuned.accuracy_high": 0.8083,
    "finetuned.cohen_kappa": 0.5481,
    "finetuned.consistency": 1.0,
    "finetuned.f1_macro": 0.7036,
    "finetuned.parse_failure_rate": 0.0,
    "human.pandalm.finetuned.accuracy": 0.265,
    "human.pandalm.finetuned.consistency": 1.0,
    "promoted": 1,
    "test_pairs": 120,
}


def test_headline_has_a_row_per_pipeline_judge_and_the_gain():
    text = headline_markdown(HEADLINE)
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0] for row in rows] == ["| base", "| finetuned"]
    assert "0.717 [0.633, 0.808]" in text and "55.8%" in text
    assert "+0.642 [+0.542, +0.742]" in text
    assert "pandalm.finetuned: 0.265" in text
    assert "promoted; 120 test pairs" in text


def test_audit_result_rows_give_the_same_flags():
    results = [
        {"judge": "x", "probe": "format", "metric": "max_flip_rate", "value": 0.54166, "flagged": True, "skipped": ""},
        {"judge": "x", "probe": "format2", "metric": "m", "value": 0.0, "flagged": False, "skipped": "no templates"},
    ]
    assert [r["flag"] for r in audit_result_flags(results)] == ["FLAGGED", "not run: no templates"]
    assert audit_result_flags(results)[0]["value"] == 0.542


def test_mlflow_link_points_at_the_server_or_at_make_ui():
    assert mlflow_run_url("http://mlflow.internal:5000/", "abc") == "http://mlflow.internal:5000/#/runs/abc"
    assert mlflow_run_url("sqlite:////work/mlflow.db", "abc") == "http://127.0.0.1:5000/#/runs/abc"
    assert (
        mlflow_artifact_url("http://mlflow.internal:5000", "3", "abc", "report/report.html")
        == "http://mlflow.internal:5000/#/experiments/3/runs/abc/artifacts/report/report.html"
    )


def test_the_summary_states_each_judges_auc_and_its_error_per_source():
    from components.reporting.run_summary import answer_line, source_line

    headline = {
        **HEADLINE,
        "finetuned.correct_vs_wrong_auc": 0.95,
        "finetuned.correct_vs_wrong_auc_low": 0.9,
        "finetuned.correct_vs_wrong_auc_high": 0.99,
        "finetuned.model_answers_mae": 1.04,
        "finetuned.by_source.wrong.judge": 4.23,
        "finetuned.by_source.wrong.mae": 2.23,
        "finetuned.by_source.correct.judge": 8.68,
        "finetuned.by_source.correct.mae": 1.32,
        "finetuned.by_source.model.judge": 4.5,
        "finetuned.by_source.model.mae": 1.04,
    }
    assert answer_line(headline, "finetuned") == (
        "correct-vs-wrong AUC 0.950 [0.900, 0.990]  MAE on the base model's answers 1.04"
    )
    assert source_line(headline, "finetuned") == (
        "judge score (abs. error) by source: correct 8.68 (1.32), wrong 4.23 (2.23), model 4.50 (1.04)"
    )
    text = headline_markdown(headline)
    assert "finetuned: correct-vs-wrong AUC 0.950 [0.900, 0.990]" in text
    assert "base: correct-vs-wrong" not in text  # an older headline without the keys states nothing for it


def test_the_reports_audit_table_says_why_a_probe_has_no_interval():
    from components.reporting.markdown import audit_table

    nan = float("nan")
    probe = {"judge": "finetuned", "metric": "rate", "value": nan, "low": nan, "high": nan, "flagged": False}
    probe["verdict"] = "no verdict"
    text = audit_table(
        [
            {**probe, "probe": "verbosity", "n": 3, "evidence": "too few items"},
            {**probe, "probe": "self_enhancement", "skipped": "no family known"},
        ]
    )
    assert "nan" not in text.replace("n/a", ""), text
    assert "n/a (too few items: n = 3)" in text and "n/a (not run)" in text
