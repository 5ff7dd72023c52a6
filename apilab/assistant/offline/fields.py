"""The output schema a learner describes in words, drafted as code.

"we extract vendor, date, total and line items" names the fields of the JSON the model
should return: the prompt guide turns them into a pydantic model and the call that asks
the learner's provider for it, instead of a ``<your JSON Schema>`` placeholder. The
parsing is by hand, on a bounded slice, with one linear regex to find where a list
starts: a comma list is simple enough, and no parser library reads English lists.
"""

from __future__ import annotations

import re

__all__ = ["draft_schema", "named_fields", "record_name"]

# Where a field list starts: "extract vendor, ...", "fields: ...", "pull out the ...".
_LIST_START = re.compile(
    r"\b(?:extract(?:s|ed|ing)?|pull(?:s|ing)? out|parse(?:s|d)? out|captur(?:e|es|ing)"
    r"|fields?(?: are| like| such as| would be)?\s{0,2}:?|(?:get|gets|getting|want|need)"
    r"(?: back)?(?: the)? fields?(?: like)?)\s{1,3}(?:the\s{1,3}|their\s{1,3})?", re.I)
_SENTENCE_END = re.compile(r"[.;!?\n(]|\s-\s|\bfrom\b|\bout of\b|\bin(?:to)? (?:json|a|the)\b",
                           re.I)
_AND = re.compile(r",?\s{1,3}(?:and|&|plus)\s{1,3}|\s{0,3},\s{0,3}|\s{0,3}/\s{0,3}", re.I)
_WORD = re.compile(r"[a-z][a-z0-9]*", re.I)
MAX_FIELDS = 12
# Words that describe the list rather than name a field ("the usual stuff", "etc").
_NOT_FIELDS = frozenset({"etc", "stuff", "things", "data", "info", "information", "details",
                         "fields", "json", "it", "them", "everything", "all", "so", "on",
                         "more", "other", "others", "some", "the", "a", "an"})

_NUMBER_WORDS = ("total", "amount", "price", "cost", "tax", "vat", "quantity", "qty",
                 "subtotal", "sum", "count", "score", "rating", "balance", "fee", "age")
_DATE_WORDS = ("date", "due", "deadline", "birthday", "dob")
_LIST_ENDINGS = ("items", "lines", "tags", "labels", "entries", "products", "skills",
                 "ingredients", "steps", "attendees", "names", "emails", "links")


def named_fields(text: str) -> list[str]:
    """The field names a learner lists in ``text``, as snake_case, in their order."""
    for start in _LIST_START.finditer(text[:4000]):
        tail = text[start.end():start.end() + 240]
        end = _SENTENCE_END.search(tail)
        listed = tail[:end.start()] if end else tail
        fields = []
        for item in _AND.split(listed):
            words = [w.lower() for w in _WORD.findall(item)]
            if not words or len(words) > 3 or words[0] in _NOT_FIELDS:
                break
            fields.append("_".join(words))
        if len(fields) >= 2:
            return list(dict.fromkeys(fields))[:MAX_FIELDS]
    return []


_RECORD = re.compile(r"\b(invoice|receipt|resume|cv|order|ticket|email|contract|recipe|"
                     r"product|review|lead|event|contact|job posting|form|report|"
                     r"transaction|application|claim|message)s?\b", re.I)


def record_name(text: str, fields: list[str] | tuple[str, ...] = ()) -> str:
    """A class name for the record: the first document the learner names that is not one
    of the fields ("name, email and skills from resumes": ``Resume``)."""
    for m in _RECORD.finditer(text[:4000]):
        word = m.group(1).lower()
        if word.replace(" ", "_") not in fields:
            return "".join(w.capitalize() for w in word.split())
    return "Extraction"


def _python_type(field: str) -> str:
    last = field.rsplit("_", 1)[-1]
    if field.endswith(_LIST_ENDINGS):
        return "list[str]" if not field.endswith(("items", "lines", "entries")) else "LIST"
    if last in _NUMBER_WORDS or field in _NUMBER_WORDS:
        return "float | None"
    if any(w in field for w in _DATE_WORDS):
        return "str | None  # YYYY-MM-DD"
    return "str | None"


def draft_schema(text: str, provider: str = "openai") -> str:
    """A pydantic model for the fields named in ``text`` and the call that asks the
    provider for it; "" when no field list is named."""
    fields = named_fields(text)
    if not fields:
        return ""
    name = record_name(text, fields)
    lines = ["from pydantic import BaseModel", ""]
    item_class = ""
    body = []
    for field in fields:
        kind = _python_type(field)
        if kind == "LIST":
            item_class = "LineItem"
            kind = "list[LineItem]"
        body.append(f"    {field}: {kind}")
    if item_class:
        lines += ["class LineItem(BaseModel):", "    description: str",
                  "    quantity: float | None", "    amount: float | None", "", ""]
    lines += [f"class {name}(BaseModel):", *body]
    call = _CALLS.get(provider, _CALLS["openai"]).format(name=name)
    return ("The fields you named, as a schema (`None` where the document does not say; "
            "adjust the types):\n\n```python\n" + "\n".join(lines) + "\n\n" + call + "\n```")


_CALLS = {
    "openai": (
        "# OpenAI: the SDK sends the schema in strict mode and parses the reply.\n"
        "r = client.chat.completions.parse(model=\"gpt-4o-mini\", response_format={name},\n"
        "    messages=[{{\"role\": \"system\", \"content\": SYSTEM_PROMPT}},\n"
        "              {{\"role\": \"user\", \"content\": f\"<document>{{text}}</document>\"}}])\n"
        "record = r.choices[0].message.parsed  # None if the model refused"),
    "anthropic": (
        "# Anthropic: a tool whose input_schema is the model's JSON Schema, forced with\n"
        "# tool_choice; the fields arrive as the tool call's input.\n"
        "msg = client.messages.create(model=\"claude-haiku-4-5\", max_tokens=1024,\n"
        "    system=SYSTEM_PROMPT,\n"
        "    tools=[{{\"name\": \"save\", \"description\": \"Save the fields\",\n"
        "            \"input_schema\": {name}.model_json_schema()}}],\n"
        "    tool_choice={{\"type\": \"tool\", \"name\": \"save\"}},\n"
        "    messages=[{{\"role\": \"user\", \"content\": f\"<document>{{text}}</document>\"}}])\n"
        "record = {name}.model_validate(msg.content[0].input)"),
    "gemini": (
        "# Gemini (google-genai): the schema goes in the config.\n"
        "r = client.models.generate_content(model=\"gemini-2.0-flash\", contents=text,\n"
        "    config={{\"response_mime_type\": \"application/json\", \"response_schema\": {name},\n"
        "            \"system_instruction\": SYSTEM_PROMPT}})\n"
        "record = {name}.model_validate_json(r.text)"),
}
