"""Prefect only: the judge-pipeline flow, whose tasks run `dvc repro <stage>`, and its deployments."""
