"""Serve the judge-pipeline flow as deployment `judge-pipeline/full` (blocks; exits on SIGTERM)."""

from flows.pipeline import judge_pipeline

if __name__ == "__main__":
    judge_pipeline.serve(name="full", description="The whole pipeline: generate, validate, finetune, judge, audit, report.")
