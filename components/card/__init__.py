"""The judge card: what a registered judge version is, what it learned from, how good it is, what fools it,
and its known limits written from those figures -- one JSON document (``build.build_card``) rendered as
Markdown (``render.markdown``).

The report stage builds it for the version models/judge records (``registered_version`` in its
``judgeops_judge.json``) and publishes it (``store.publish``): the Markdown becomes the registered model
version's description, so MLflow's UI shows it, and the JSON and Markdown are logged as artifacts of the
version's logged model and of the report run, and written to reports/judge_card.json and .md.
``judgeops card models:/judge@champion`` prints it; ``judgeops gate`` checks it against thresholds
(``gate.check``). The card also carries the figures promotion compares (``gate_figures``: agreement,
parse-failure rate, flagged probes and every test pair's correctness), so a later candidate is paired with
the champion on the same test pairs without rerunning the champion.
"""

CARD_JSON = "judge_card.json"
CARD_MD = "judge_card.md"
ARTIFACT_DIR = "card"
