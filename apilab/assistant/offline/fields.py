"""The output schema a learner describes in words, drafted as code.

"we extract vendor, date, total and line items", "I need name, email, phone, list of jobs
(company, title, start, end), skills", "recipe json {title, ingredients, steps}" name the
fields of the JSON the model should return: the guides turn them into a schema (pydantic
for Python, zod for Node) and the call that asks the learner's provider for it, instead
of a ``<your JSON Schema>`` placeholder. The parsing is by hand, on a bounded slice, with
linear regexes to find where a list starts: a comma list with one level of parentheses
is simple enough, and no parser library reads English lists.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

__all__ = ["Field", "draft_schema", "list_start", "named_fields", "named_tree", "record_name"]


@dataclasses.dataclass(frozen=True)
class Field:
    """One field the learner named, with the fields of each element when it is a list of
    objects ("jobs (company, title, start, end)")."""

    name: str
    children: tuple[str, ...] = ()


# Where a field list starts: "extract vendor, ...", "fields: ...", "I need name, ...".
_LIST_START = re.compile(
    r"\b(?:extract(?:s|ed|ing)?|pull(?:s|ing)? out|parse(?:s|d)? out|captur(?:e|es|ing)"
    r"|fields?(?: are| like| such as| would be)?\s{0,2}:?|(?:get|gets|getting|want|need)"
    r"(?: back)?(?: the)?(?: fields?(?: like)?)?)\s{1,3}(?:the\s{1,3}|their\s{1,3})?", re.I)
# "recipe json {title, ingredients, steps}": the braces hold the list.
_BRACES = re.compile(r"\{\s{0,3}([a-z_][a-z0-9_ ,/()-]{2,300}?)\s{0,3}\}", re.I)
_SENTENCE_END = re.compile(r"[.;!?\n]|\s-\s|\bfrom\b|\bout of\b|\bin(?:to)? (?:json|a|the)\b"
                           r"|\bsome\b", re.I)
_AND = re.compile(r"^(?:and|&|plus)\s{1,3}", re.I)
_LIST_OF = re.compile(r"^(?:a\s{1,3})?(?:list|array)\s{1,3}of\s{1,3}", re.I)
_WORD = re.compile(r"[a-z][a-z0-9]*", re.I)
MAX_FIELDS = 12
MAX_STARTS = 8  # list openings tried per message: "need need need ..." stays linear
# Words that describe the list rather than name a field ("the usual stuff", "etc").
_NOT_FIELDS = frozenset({"etc", "stuff", "things", "data", "info", "information", "details",
                         "fields", "json", "it", "them", "everything", "all", "so", "on",
                         "more", "other", "others", "some", "the", "a", "an", "to", "help",
                         "you", "me", "structured", "output", "this", "that"})

_NUMBER_WORDS = ("total", "amount", "price", "cost", "tax", "vat", "quantity", "qty",
                 "subtotal", "sum", "count", "score", "rating", "balance", "fee", "age")
_DATE_WORDS = ("date", "due", "deadline", "birthday", "dob", "start", "end")
_LIST_ENDINGS = ("items", "lines", "tags", "labels", "entries", "products", "skills",
                 "ingredients", "steps", "attendees", "names", "emails", "links", "jobs",
                 "experiences", "educations", "languages")


def _split_top(listed: str) -> list[str]:
    """``listed`` split at commas and "and" outside parentheses (one level is enough)."""
    items, depth, current = [], 0, []
    for ch in listed:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if depth == 0 and ch in ",/":
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    out = []
    for item in items:
        # "total and line items": "and" joins two at the top level too.
        parts = re.split(r"\s(?:and|&|plus)\s(?![^()]*\))", item.strip(), flags=re.I)
        out += [_AND.sub("", p.strip()) for p in parts if p.strip()]
    return out


def _field(item: str) -> Field | None:
    """One list item as a field, or None when it names no field."""
    inner = ""
    if "(" in item:
        item, _, rest = item.partition("(")
        inner = rest.split(")", 1)[0]
    item = _LIST_OF.sub("", item.strip())
    words = [w.lower() for w in _WORD.findall(item)]
    if not words or len(words) > 3 or words[0] in _NOT_FIELDS:
        return None
    children = tuple(dict.fromkeys(
        "_".join(w.lower() for w in _WORD.findall(part)) for part in _split_top(inner)
        if 0 < len(_WORD.findall(part)) <= 3)) if inner else ()
    name = "_".join(words)
    if children and not name.endswith("s"):
        name += "s"  # "list of job (company, title)": a list of them
    return Field(name, children[:MAX_FIELDS])


def named_tree(text: str) -> list[Field]:
    """The fields a learner lists in ``text``, in their order, with nested ones."""
    head = text[:4000]
    candidates = []
    for start in itertools.islice(_LIST_START.finditer(head), MAX_STARTS):
        tail = head[start.end():start.end() + 400]
        end = _SENTENCE_END.search(re.sub(r"\([^()]{0,200}\)", lambda m: " " * len(m.group(0)),
                                          tail))
        candidates.append(tail[:end.start()] if end else tail)
    candidates += [m.group(1) for m in itertools.islice(_BRACES.finditer(head), MAX_STARTS)]
    for listed in candidates:
        fields: list[Field] = []
        for item in _split_top(listed):
            found = _field(item)
            if found is None:
                break
            fields.append(found)
        if len(fields) >= 2:
            unique = list({f.name: f for f in fields}.values())
            return unique[:MAX_FIELDS]
    return []


def list_start(text: str) -> int | None:
    """Where the field list in ``text`` begins ("... and we need vendor name, date, total":
    at "need"), or None when it names none."""
    head = text[:4000]
    for start in itertools.islice(_LIST_START.finditer(head), MAX_STARTS):
        if named_tree(head[start.start():start.start() + 600]):
            return start.start()
    return None


def named_fields(text: str) -> list[str]:
    """The field names a learner lists in ``text``, as snake_case, in their order."""
    return [f.name for f in named_tree(text)]


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


def _kind(field: str) -> str:
    """"number", "date", "list" or "text" for a field name."""
    last = field.rsplit("_", 1)[-1]
    if field.endswith(_LIST_ENDINGS):
        return "list"
    if last in _NUMBER_WORDS or field in _NUMBER_WORDS:
        return "number"
    if any(w in field.split("_") for w in _DATE_WORDS) or field.endswith("date"):
        return "date"
    return "text"


_PY = {"number": "float | None", "date": "str | None  # YYYY-MM-DD", "text": "str | None",
       "list": "list[str]"}
_ZOD = {"number": "z.number().nullable()", "date": "z.string().nullable(), // YYYY-MM-DD",
        "text": "z.string().nullable()", "list": "z.array(z.string())"}


def _singular(name: str) -> str:
    word = name.split("_")[-1]
    word = word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word
    return "".join(w.capitalize() for w in [*name.split("_")[:-1], word])


def _py_type(field: str) -> str:
    if _kind(field) == "date" and field.split("_")[-1] == "end":
        return 'str | None  # YYYY-MM-DD; null while it is ongoing ("present")'
    return _PY[_kind(field)]


def _element_fields(f: Field) -> tuple[str, ...]:
    """The fields of each element when ``f`` is a list of objects (line items have the
    usual three unless the learner named them), else ()."""
    return f.children or (("description", "quantity", "amount")
                          if f.name in ("line_items", "items", "lines") else ())


def _zod_field(field: str) -> str:
    kind = _ZOD[_kind(field)]
    return f"  {field}: {kind}" if "//" in kind else f"  {field}: {kind},"


def _python(name: str, tree: list[Field]) -> list[str]:
    lines = ["from pydantic import BaseModel", ""]
    for f in tree:
        if children := _element_fields(f):
            lines += [f"class {_singular(f.name)}(BaseModel):"]
            lines += [f"    {c}: {_py_type(c)}" for c in children] + ["", ""]
    lines.append(f"class {name}(BaseModel):")
    lines += [f"    {f.name}: list[{_singular(f.name)}]" if _element_fields(f)
              else f"    {f.name}: {_py_type(f.name)}" for f in tree]
    return lines


def _zod(name: str, tree: list[Field]) -> list[str]:
    lines = ['import { z } from "zod";', ""]
    for f in tree:
        if children := _element_fields(f):
            lines.append(f"const {_singular(f.name)} = z.object({{")
            lines += [_zod_field(c) for c in children] + ["});", ""]
    lines.append(f"const {name} = z.object({{")
    lines += [f"  {f.name}: z.array({_singular(f.name)})," if _element_fields(f)
              else _zod_field(f.name) for f in tree]
    lines.append("});")
    return lines


def draft_schema(text: str, provider: str = "openai", language: str = "python") -> str:
    """A schema for the fields named in ``text`` (pydantic, or zod when ``language`` is
    "js") and the call that asks the provider for it; "" when no field list is named."""
    tree = named_tree(text)
    if not tree:
        return ""
    name = record_name(text, [f.name for f in tree])
    js = language == "js"
    lines = _zod(name, tree) if js else _python(name, tree)
    calls = _JS_CALLS if js else _CALLS
    call = calls.get(provider, calls["openai"]).format(name=name)
    kind = "zod" if js else "pydantic"
    fence = "ts" if js else "python"
    return (f"The fields you named, as a {kind} schema (null where the document does not "
            f"say; adjust the types):\n\n```{fence}\n" + "\n".join(lines) + "\n\n" + call
            + "\n```")


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

_JS_CALLS = {
    "openai": (
        "// OpenAI (openai v4+): the helper sends the schema in strict mode and parses it.\n"
        "import {{ zodResponseFormat }} from \"openai/helpers/zod\";\n"
        "const r = await openai.chat.completions.parse({{ model: \"gpt-4o-mini\",\n"
        "  response_format: zodResponseFormat({name}, \"{name}\"),\n"
        "  messages: [{{ role: \"system\", content: SYSTEM_PROMPT }},\n"
        "             {{ role: \"user\", content: `<input>${{text}}</input>` }}] }});\n"
        "const record = r.choices[0].message.parsed; // null if the model refused"),
    "anthropic": (
        "// Anthropic: a tool whose input_schema is the JSON Schema (zod 4: z.toJSONSchema),\n"
        "// forced with tool_choice; then validate what comes back.\n"
        "const msg = await anthropic.messages.create({{ model: \"claude-haiku-4-5\",\n"
        "  max_tokens: 1024, system: SYSTEM_PROMPT,\n"
        "  tools: [{{ name: \"save\", description: \"Save the fields\",\n"
        "            input_schema: z.toJSONSchema({name}) }}],\n"
        "  tool_choice: {{ type: \"tool\", name: \"save\" }},\n"
        "  messages: [{{ role: \"user\", content: `<input>${{text}}</input>` }}] }});\n"
        "const block = msg.content.find((b) => b.type === \"tool_use\");\n"
        "const record = {name}.parse(block?.input); // throws if the shape is wrong"),
    "gemini": (
        "// Gemini (@google/genai): JSON mode with the schema in the config.\n"
        "const r = await ai.models.generateContent({{ model: \"gemini-2.5-flash\",\n"
        "  contents: text,\n"
        "  config: {{ responseMimeType: \"application/json\",\n"
        "            responseJsonSchema: z.toJSONSchema({name}),\n"
        "            systemInstruction: SYSTEM_PROMPT }} }});\n"
        "const record = {name}.parse(JSON.parse(r.text));"),
}
