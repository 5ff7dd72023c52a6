"""No default the lab hands a learner names a model its provider has retired.

A retired default fails with a 404 on the learner's first real call (Claude 3.5 Haiku,
the Anthropic default until 2026-12, was retired on 2026-02-19). The tutor's own list of
retired models (``signals.yaml`` ``retired_models``) is the reference.
"""

from __future__ import annotations

import re
from pathlib import Path

from apilab.assistant.offline.signals import signal_table
from apilab.promptlab import runs
from apilab.providers.anthropic import AnthropicProvider
from apilab.providers.openai import OpenAIProvider
from apilab.sandbox import catalogue
from apilab.web.routes import workbench

RETIRED = set(signal_table()["retired_models"])


def _defaults() -> dict[str, str]:
    found = {"anthropic provider": AnthropicProvider.default_model,
             "openai provider": OpenAIProvider.default_model}
    found.update({f"workbench {k}": v for k, v in workbench.DEFAULT_MODELS.items()})
    found.update({f"prompt lab {k}": v for k, v in runs._REAL.items()})
    script = (Path(workbench.__file__).parents[1] / "static" / "workbench.js").read_text()
    block = re.search(r"let defaults = \{([^}]*)\}", script)
    assert block, "workbench.js no longer declares its defaults where this test looks"
    found.update({f"workbench.js {k}": v for k, v in
                  re.findall(r"(\w+): \"([^\"]+)\"", block.group(1))})
    return found


def test_no_default_model_is_retired() -> None:
    defaults = _defaults()
    assert len(defaults) >= 6
    retired = {where: model for where, model in defaults.items() if model in RETIRED}
    assert not retired, f"retired models used as defaults: {retired}"


def test_every_default_model_is_known_to_the_sandbox() -> None:
    for where, model in _defaults().items():
        assert catalogue.lookup_model(model).id, where
