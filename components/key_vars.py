"""Which environment variables an ``api_key_env`` may name: only those whose names say they hold an API key.

``api_key_env`` comes from params.yaml, from ``judgeops audit --api-key-env`` and from a Prefect
deployment's ``overrides`` (anyone who reaches the Prefect API), and the variable it names is sent as a
Bearer token to ``base_url``, which may be any host. So it may name only a key variable:

- a name ending in ``_API_KEY``, ``_KEY`` or ``_TOKEN`` (``OPENAI_API_KEY``, ``HF_TOKEN``), upper case,
  except the well-known credentials of other services (``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``, ...,
  ``DENIED``), which are never an LLM endpoint's key;
- or a name listed in the environment variable ``JUDGEOPS_KEY_VARS`` (comma- or space-separated), the
  user's own extension (``JUDGEOPS_KEY_VARS=AZURE_OPENAI_SECRET``), which also admits a denied name. It is
  read from the environment of the process, never from params.yaml, so a deployment's overrides cannot
  widen it.
"""

from __future__ import annotations

import os
import re

EXTRA_ENV = "JUDGEOPS_KEY_VARS"
KEY_NAME = re.compile(r"[A-Z][A-Z0-9_]*_(?:API_KEY|KEY|TOKEN)")
DENIED = frozenset(
    {
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "CI_JOB_TOKEN",
        "PREFECT_API_KEY",
        "MLFLOW_TRACKING_TOKEN",
        "DATABRICKS_TOKEN",
    }
)


def allowed_extra() -> set[str]:
    """The names ``JUDGEOPS_KEY_VARS`` adds."""
    return {name for name in re.split(r"[,\s]+", os.environ.get(EXTRA_ENV, "")) if name}


def check_key_var(name: str | None) -> str | None:
    """``name`` if an ``api_key_env`` may name it (None: no key), else ValueError saying why and how to
    allow it."""
    if name is None:
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError("must name an environment variable (e.g. OPENAI_API_KEY), not hold the key itself")
    if name in allowed_extra() or (KEY_NAME.fullmatch(name) and name not in DENIED):
        return name
    why = "is another service's credential" if name in DENIED else "does not name an API key"
    raise ValueError(
        f"api_key_env {name!r} {why}: a key variable's name ends in _API_KEY, _KEY or _TOKEN (its value is "
        f"sent as a Bearer token to base_url); to use another variable, list it in {EXTRA_ENV}"
    )
