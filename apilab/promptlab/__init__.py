"""Lab 4's prompt workbench: versioned system prompts, test cases, runs and comparisons.

An engine composing ``storage`` (a learner's versions, cases and runs) with
``evals`` (the runner, the injection pack, the validation pipeline): the web
route is a thin door over ``PromptLab``, and the same calls work from a script.

    versions   save (append-only), diff, restore (as a new version)
    cases      add, delete, add the injection pack in one click
    runs       run a version over the cases against a provider, streaming results
    compare    two runs side by side: which cases flipped, cost and latency deltas

It must not import ``web`` or ``cli``.
"""

from apilab.promptlab.lab import PromptLab, VersionIn

__all__ = ["PromptLab", "VersionIn"]
