"""Checking model output before acting on it (lesson 4).

``validate_output`` runs the pipeline the lesson teaches: bound the length,
parse, validate against a JSON Schema, check business rules, then decide
whether it is safe to act. The lab's Lab 4 panel and tests use it.
"""

from apilab.evals.validate import PipelineResult, Step, load_examples, validate_output

__all__ = ["PipelineResult", "Step", "load_examples", "validate_output"]
