"""A training loop's per-step metrics reach MLflow whole -- every step, in order, with its own step number --
written a batch at a time instead of one store write per step."""

from __future__ import annotations

from mlflow import MlflowClient

from components.tracking import NullTracker, stage_run


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in MlflowClient().get_metric_history(run_id, key)]


def test_every_step_is_recorded_a_batch_at_a_time_and_the_rest_on_the_way_out(mlflow_store):
    with stage_run("finetune") as tracker:
        with tracker.step_metrics(every=50) as log:
            for step in range(1, 121):
                log(step, {"loss": 1.0 / step, "val": {"agreement": 0.5}, "skipped": float("nan"), "flag": True})
                if step == 60:
                    assert len(history(tracker.run_id, "loss")) == 50, "one batch written, ten steps pending"
        assert history(tracker.run_id, "loss") == [(step, 1.0 / step) for step in range(1, 121)]
        assert len(history(tracker.run_id, "val.agreement")) == 120
        run = MlflowClient().get_run(tracker.run_id)
        assert not {"skipped", "flag"} & run.data.metrics.keys(), "NaN and flags are not measurements"


def test_pending_steps_are_written_when_the_loop_dies(mlflow_store):
    with stage_run("finetune") as tracker:
        try:
            with tracker.step_metrics(every=50) as log:
                for step in range(1, 8):
                    log(step, {"loss": float(step)})
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        assert [step for step, _ in history(tracker.run_id, "loss")] == list(range(1, 8))


def test_a_rank_that_records_nothing_takes_the_calls():
    with NullTracker().step_metrics() as log:
        log(1, {"loss": 0.5})
