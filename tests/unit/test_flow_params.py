"""What the Prefect UI's run form shows for each deployment: only that flow's own parameters, each typed
and described (Prefect reads the types from the signature and the descriptions from the docstring's Args)."""

from __future__ import annotations

import pytest
from prefect.utilities.callables import parameter_schema

from flows.pipeline import judge_audit, judge_pipeline


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (judge_pipeline, {"profile", "overrides", "stages", "stage_timeout_s"}),
        (judge_audit, {"judge", "data", "profile", "overrides", "stage_timeout_s"}),
    ],
)
def test_each_deployment_takes_its_own_parameters_typed_and_described(flow, expected):
    schema = parameter_schema(flow).model_dump_for_openapi()
    properties = schema["properties"]
    assert set(properties) == expected, "the full run must not list the audit's judge/data (nor a mode switch)"
    for name, found in properties.items():
        assert found.get("description"), f"{name} has no description in the run form"
        assert "type" in found or "anyOf" in found, f"{name} has no type in the run form"
    if flow is judge_audit:
        assert set(schema["required"]) == {"judge", "data"}


def test_flow_runs_are_named_after_what_they_run(monkeypatch):
    import prefect.runtime.flow_run as runtime

    from flows.pipeline import judge_audit, judge_pipeline

    assert judge_pipeline.flow_run_name is judge_audit.flow_run_name is not None  # not "witty-cassowary"
    monkeypatch.setattr(
        runtime, "parameters", {"profile": "tiny", "overrides": {"finetune.max_steps": 3}}, raising=False
    )
    assert judge_pipeline.flow_run_name().startswith("tiny + finetune.max_steps=3 · ")
    monkeypatch.setattr(runtime, "parameters", {"judge": "models:/judge@champion", "data": "x.jsonl"}, raising=False)
    assert judge_audit.flow_run_name().startswith("audit models:/judge@champion · ")
