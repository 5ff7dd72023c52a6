"""Routes: the Lab 4 output-validation panel's API (parse -> schema -> rules -> act)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from apilab.errors import InvalidInputError
from apilab.evals import load_examples, validate_output

router = APIRouter()


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
            schema = json.loads(body.schema_text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"The schema is not valid JSON ({exc.msg} at line {exc.lineno}, column "
                f"{exc.colno}). Paste a JSON Schema object, or leave it empty."
            ) from exc
        if not isinstance(schema, dict):
            raise InvalidInputError(
                "The schema must be a JSON object, e.g. {\"type\": \"object\"}."
            )
    return validate_output(body.output, schema, body.rules.splitlines()).to_dict()
