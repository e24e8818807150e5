"""Serve two deployments (blocks; exits on SIGTERM), each with its own typed, described parameters:

- judge-pipeline/full: the whole pipeline (parameters: profile, overrides, stages, stage_timeout_s)
- judge-audit/audit: audit a named judge on a named dataset without retraining
  (parameters: judge, data, profile, overrides, stage_timeout_s)

Both share one workspace (params.yaml, data/, models/), so one flow run at a time: each deployment
has a concurrency limit of 1 (held by the Prefect server: more runs wait in the queue, however many
processes serve it), the runner starts one run at a time across both (``limit=1``), and each flow run
holds the workspace's file lock, which covers flow runs started any other way.
"""

from prefect import serve

from flows.pipeline import judge_audit, judge_pipeline

# One flow run at a time: they share params.yaml and the DVC outputs.
RUN_LIMIT = 1

if __name__ == "__main__":
    serve(
        judge_pipeline.to_deployment(
            name="full",
            description="The whole pipeline: generate, validate, finetune, judge, audit, report.",
            concurrency_limit=RUN_LIMIT,
        ),
        judge_audit.to_deployment(
            name="audit",
            description="Audit any judge on any pairs file.",
            concurrency_limit=RUN_LIMIT,
        ),
        limit=RUN_LIMIT,
    )
