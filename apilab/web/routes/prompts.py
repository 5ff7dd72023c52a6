"""Routes: the Lab 4 output-validation panel's API (parse -> schema -> rules -> act).

The schema and rules are the learner's, so validation runs on a worker thread
under a deadline (``VALIDATE_SECONDS``), with ``evals.schema``'s guarantees: no
``$ref`` leaves the schema, every learner regex is time-limited, and anything
that cannot be checked is a 422 with a message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.errors import InvalidInputError
from apilab.evals import load_examples, validate_output
from apilab.evals.schema import time_budget
from apilab.strictjson import loads_strict

router = APIRouter()

VALIDATE_SECONDS = 5.0


class ValidateIn(BaseModel):
    """Model output to check, with an optional JSON Schema and business rules."""

    output: str = Field(max_length=200_000)
    schema_text: str = Field(default="", max_length=100_000, description="JSON Schema as JSON text")
    rules: str = Field(default="", max_length=20_000, description="one PATH OP VALUE rule per line")


@router.get("/api/prompts/examples")
async def examples() -> dict[str, Any]:
    """The worked examples, schema and rules the panel starts from."""
    return load_examples()


@router.post("/api/prompts/validate")
async def validate(body: ValidateIn) -> dict[str, Any]:
    """Run the pipeline and say, step by step, whether the code may act on the output."""
    schema = None
    if body.schema_text.strip():
        try:
            schema = loads_strict(body.schema_text)
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"The schema: {str(exc).replace('The JSON body', 'it').replace('The body', 'it')}"
                " Paste a JSON Schema object, or leave it empty.") from None
        if not isinstance(schema, dict):
            raise InvalidInputError(
                "The schema must be a JSON object, e.g. {\"type\": \"object\"}."
            )

    def run() -> dict[str, Any]:
        with time_budget(VALIDATE_SECONDS):
            return validate_output(body.output, schema, body.rules.splitlines()).to_dict()

    try:
        return await asyncio.wait_for(run_in_threadpool(run), VALIDATE_SECONDS + 1)
    except TimeoutError:
        raise InvalidInputError(f"Validation took longer than {VALIDATE_SECONDS:g} s and was "
                                "stopped; simplify the schema or the rules.") from None
