"""Each registry that maps names to code holds exactly the names components.vocabulary gives config to check
params.yaml against: a name config accepts has code behind it, and code no name can reach is reported."""

from __future__ import annotations

import pytest

from components import vocabulary


def _families():
    from components.data.families import FAMILIES

    return FAMILIES


def _variants():
    from components.data.variants import MAKERS

    return MAKERS


def _probes():
    from components.audit.registry import FACTORIES

    return FACTORIES


def _templates():
    from components.judges.templates import TEMPLATES

    return {name: template.output for name, template in TEMPLATES.items()}


def _pipeline_models():
    from components.judges.model_ref import PIPELINE_MODELS

    return PIPELINE_MODELS


# registry, its names in components.vocabulary, where the code is registered
REGISTRIES = [
    (_families, vocabulary.FAMILIES, "components/data/families/__init__.py: FAMILIES"),
    (_variants, vocabulary.VARIANTS, "components/data/variants.py: MAKERS"),
    (_probes, vocabulary.PROBES, "components/audit/registry.py: FACTORIES"),
    (_templates, tuple(vocabulary.TEMPLATE_OUTPUTS), "components/judges/templates.py: TEMPLATES"),
    (_pipeline_models, vocabulary.PIPELINE_JUDGES, "components/judges/model_ref.py: PIPELINE_MODELS"),
]


@pytest.mark.parametrize("registry, names, where", REGISTRIES, ids=[row[2].split(":")[0] for row in REGISTRIES])
def test_a_registry_and_its_vocabulary_name_the_same_things(registry, names, where):
    registered = tuple(registry())
    assert registered == names, (
        f"{where} registers {sorted(set(registered) - set(names))} that components/vocabulary.py does not "
        f"name, and lacks {sorted(set(names) - set(registered))}; keep both in the same order"
    )


def test_each_template_asks_for_the_output_format_the_vocabulary_records():
    assert _templates() == vocabulary.TEMPLATE_OUTPUTS


def test_every_format_a_template_asks_for_or_a_judge_is_trained_on_has_a_parser():
    from components.judges.parsers import OUTPUT_FORMATS

    assert set(vocabulary.TEMPLATE_OUTPUTS.values()) | set(vocabulary.TARGET_FORMATS) <= set(OUTPUT_FORMATS)


def test_a_name_outside_the_vocabulary_is_refused_with_the_known_ones():
    assert vocabulary.known("probe", "format", vocabulary.PROBES) == "format"
    with pytest.raises(ValueError, match=r"unknown probe 'horoscope'; known: position, knowledge, format"):
        vocabulary.known("probe", "horoscope", vocabulary.PROBES)
