"""Fixtures the model tests share."""

from __future__ import annotations

import pytest

from components.models import build_tiny


@pytest.fixture(scope="session")
def four_layers(tmp_path_factory):
    """A random 4-layer Llama with the SmolLM2 tokenizer: two frozen layers under two adapted ones."""
    folder = tmp_path_factory.mktemp("four_layers")
    build_tiny(folder, hidden_size=64, layers=4, seed=0)
    return folder
