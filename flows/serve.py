"""Serve the judge-pipeline flow as two deployments (blocks; exits on SIGTERM):

- judge-pipeline/full: the whole pipeline (parameters: profile, overrides, stages)
- judge-pipeline/audit: audit a named judge on a named dataset without retraining
  (parameters: judge, data)
"""

from prefect import serve

from flows.pipeline import judge_pipeline

if __name__ == "__main__":
    serve(
        judge_pipeline.to_deployment(
            name="full", description="The whole pipeline: generate, validate, finetune, judge, audit, report."
        ),
        judge_pipeline.to_deployment(
            name="audit", parameters={"mode": "audit"}, description="Audit any judge on any pairs file."
        ),
    )
