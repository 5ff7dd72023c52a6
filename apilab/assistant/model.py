"""The lab assistant on a model backend, through the call layer.

``ModelAssistant.from_settings(settings)`` builds the call stack once
(``calls/stack.py``: the configured backend, then the fallback chain ending in
the offline tutor). For each turn it

1. grounds the reply like the offline tutor does: the tutor's own retrieval
   (``OfflineTutor.index``) picks the best answer cards and lesson passages,
   which go into the versioned system prompt ``prompts/system-v<N>.md``;
2. streams the model's reply, exposing the tutor's tools
   (``apilab.assistant.tools.TOOLS``) through function calling; tool calls are
   executed here, by our code, and their results sent back (a few rounds);
3. validates output before display: a length bound (the stream is cut at
   ``MAX_REPLY_CHARS`` with a note) and secrets redacted in the final text;
4. when the learner's budget is spent, says so with the figures and lets the
   offline tutor answer; when every target fails, the same.

Every round is one ledger call sharing the reply's ``call_id`` (``seq`` = the
round), which ``ReplyDone.call_id`` hands to the API inspector.
"""

from __future__ import annotations

import asyncio
import json
import logging
import string
import weakref
from collections.abc import AsyncIterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from apilab.assistant.base import ReplyDone, TextDelta, Turn
from apilab.calls.base import Call, Chunk, Final, Result, new_call_id
from apilab.errors import BudgetExceededError, CallError

if TYPE_CHECKING:
    from apilab.assistant.offline import OfflineTutor
    from apilab.calls.stack import CallStack
    from apilab.settings import Settings

__all__ = ["MAX_REPLY_CHARS", "PROMPT_VERSION", "ModelAssistant", "load_system_prompt"]

log = logging.getLogger(__name__)

PROMPT_VERSION = "v1"
MAX_REPLY_CHARS = 6000
MAX_TOKENS = 700
MAX_TOOL_ROUNDS = 3
GROUNDING_DOCS = 4
GROUNDING_CHARS = 1200

# (id(settings), id(loop)) -> (settings, loop ref, stack): the stack's pooled connections
# belong to one event loop; the settings object is kept so its id stays unique.
_STACKS: dict[tuple[int, int], tuple[Any, weakref.ref[Any], CallStack]] = {}
_MAX_STACKS = 8


def load_system_prompt(version: str = PROMPT_VERSION) -> string.Template:
    """The system prompt template of a version (package data, never the working dir)."""
    path = resources.files("apilab.assistant") / "prompts" / f"system-{version}.md"
    return string.Template(path.read_text(encoding="utf-8"))


def _tool_specs() -> list[dict[str, Any]]:
    from apilab.assistant.tools import TOOLS

    return [{"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in TOOLS.values()]


def _run_tool(name: str, arguments: str) -> str:
    from apilab.assistant.tools import TOOLS

    tool = TOOLS.get(name)
    if tool is None:
        return f"**No tool named {name!r}.** Available: {', '.join(sorted(TOOLS))}."
    try:
        kwargs = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        return f"**{name} could not run:** the arguments are not valid JSON ({exc.msg})."
    if not isinstance(kwargs, dict):
        return f"**{name} could not run:** arguments must be a JSON object."
    return tool.run(**kwargs)


def _redact(text: str) -> str:
    try:
        from apilab.secretscan import redact_text
    except ImportError:  # pragma: no cover - the scanner ships with apilab
        return text
    return redact_text(text)[0]


class ModelAssistant:
    """A model behind the call layer, with the offline tutor's grounding and tools."""

    name = "model"

    def __init__(self, settings: Settings, stack: CallStack, *,
                 tutor: OfflineTutor | None = None, prompt_version: str = PROMPT_VERSION,
                 max_reply_chars: int = MAX_REPLY_CHARS) -> None:
        from apilab.assistant.offline import OfflineTutor

        self.settings = settings
        self.stack = stack
        self.tutor = tutor or OfflineTutor()
        self.prompt_version = prompt_version
        self.template = load_system_prompt(prompt_version)
        self.max_reply_chars = max_reply_chars
        primary = stack.targets[0]
        self.provider = str(primary["provider"])
        self.model = str(primary["model"])

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelAssistant:
        """The configured backend + fallback chain, ledger in the settings' database.

        The exchange service asks for an assistant per message; the stack (SDK clients
        and their connection pools) is built once per settings object and event loop
        and reused, since pooled connections belong to the loop that opened them.
        """
        from apilab.calls.stack import build_stack

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return cls(settings, build_stack(settings))
        key = (id(settings), id(loop))
        cached = _STACKS.get(key)
        # ids of dead objects get reused: check both are really the same objects
        if cached is None or cached[0] is not settings or cached[1]() is not loop:
            cached = (settings, weakref.ref(loop), build_stack(settings))
            _STACKS[key] = cached
            while len(_STACKS) > _MAX_STACKS:
                _STACKS.pop(next(iter(_STACKS)))
        return cls(settings, cached[2])

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"

    # --- grounding ----------------------------------------------------------
    def grounding(self, turn: Turn) -> list[dict[str, str]]:
        """The course documents the offline tutor's retrieval finds for this message."""
        from apilab.assistant.offline.read import read_message

        # The same reading as the offline tutor: match on the learner's question, not on
        # what they pasted, with the meaning of any pasted error added.
        reading = read_message(turn.message)
        own, _ = self.tutor.retriever.search(reading.focus or turn.message, turn.lab.id,
                                             extra=reading.signals.terms(),
                                             parts=reading.parts, limit=GROUNDING_DOCS)
        docs = []
        for match in own:
            doc = match.doc
            text = doc.card.answer if doc.card is not None else doc.text
            docs.append({"key": doc.key, "title": doc.title, "text": text[:GROUNDING_CHARS]})
        return docs

    def system_prompt(self, turn: Turn, docs: list[dict[str, str]]) -> str:
        lab = turn.lab
        try:
            lesson_title = self.tutor.course.lesson(lab.lesson).title
        except Exception:  # noqa: BLE001 - a missing lesson only loses a heading
            lesson_title = lab.lesson
        grounding = "\n\n".join(f"### {d['title']} ({d['key']})\n{d['text']}" for d in docs)
        return self.template.safe_substitute(
            lab_title=lab.title,
            lesson_title=lesson_title,
            lab_scenario=lab.scenario,
            objectives="\n".join(f"- {o.id}: {o.text}" for o in lab.objectives),
            covered=", ".join(sorted(turn.objectives_covered)) or "none yet",
            grounding=grounding or "(nothing matched; answer from the objectives above)",
        )

    def messages(self, turn: Turn) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for role, content in turn.history[-20:]:
            out.append({"role": "user" if role == "learner" else "assistant",
                        "content": content})
        out.append({"role": "user", "content": turn.message})
        return out

    # --- the Assistant interface ------------------------------------------
    async def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        """Stream the model's reply (tools run in between), then one ``ReplyDone``."""
        call_id = turn.call_id or new_call_id()
        docs = self.grounding(turn)
        system = self.system_prompt(turn, docs)
        messages = self.messages(turn)
        tools = _tool_specs()
        shown: list[str] = []
        used: list[str] = []
        answered_by: str | None = None
        fallbacks: list[dict[str, str]] = []
        cut = False
        for seq in range(MAX_TOOL_ROUNDS + 1):
            call = Call(
                provider=self.provider, model=self.model, messages=list(messages),
                # Tools stay declared on every round: providers reject tool_use/tool
                # messages in a request that declares no tools.
                system=system, tools=tools,
                max_tokens=MAX_TOKENS, learner=str(turn.learner_id or "local"),
                lab=turn.lab.id, scope=getattr(self.settings, "budget_class", None),
                call_id=call_id, seq=seq, context={"turn": turn},
            )
            result: Result | None = None
            try:
                async for event in self.stack.astream(call):
                    if isinstance(event, Chunk):
                        room = self.max_reply_chars - sum(map(len, shown))
                        if room <= 0:
                            cut = True
                            break
                        piece = event.text[:room]
                        shown.append(piece)
                        yield TextDelta(piece)
                    elif isinstance(event, Final):
                        result = event.result
            except BudgetExceededError as exc:
                async for item in self._offline(turn, call_id, shown, reason=str(exc),
                                                kind="budget"):
                    yield item
                return
            except CallError as exc:
                if shown:  # part of a reply is on screen: end it honestly, no second answer
                    note = f"\n\n_(The reply broke off: {exc})_"
                    shown.append(note)
                    yield TextDelta(note)
                    break
                async for item in self._offline(turn, call_id, shown, reason=str(exc),
                                                kind="error"):
                    yield item
                return
            answered_by = call.record.answered_by or answered_by
            fallbacks += call.record.fallbacks
            if cut:
                note = "\n\n_(Reply shortened: it passed the length limit for one answer.)_"
                shown.append(note)
                yield TextDelta(note)
                break
            if result is None or not result.tool_calls:
                break
            if seq == MAX_TOOL_ROUNDS:
                note = f"\n\n_(Stopped after {MAX_TOOL_ROUNDS} rounds of tool calls.)_"
                shown.append(note)
                yield TextDelta(note)
                break
            messages.append({"role": "assistant", "content": result.text or None,
                             "tool_calls": [{"id": tc.id, "name": tc.name,
                                             "arguments": tc.arguments}
                                            for tc in result.tool_calls]})
            for tc in result.tool_calls:
                used.append(tc.name)
                messages.append({"role": "tool", "tool_call_id": tc.id, "name": tc.name,
                                 "content": _run_tool(tc.name, tc.arguments)})
        text = _redact("".join(shown))
        verdict = self.tutor.compose(turn)  # the tutor's rules say what the exchange covered
        backend = "offline" if (answered_by or "").startswith("offline") else \
            (answered_by or self.label)
        kind = str(verdict.meta.get("answer_kind") or "")
        # A model can answer what the course notes do not: the question counts when it is
        # on the lab's topic, even where the offline tutor would have said "I don't know".
        on_topic = verdict.on_topic or (kind == "dont-know" and not cut)
        yield ReplyDone(
            text=text, backend=backend, objectives=verdict.objectives,
            on_topic=on_topic, tools_used=used, call_id=call_id,
            meta={"prompt_version": self.prompt_version, "configured": self.label,
                  "answered_by": answered_by, "fallbacks": fallbacks,
                  "grounding": [d["key"] for d in docs], "cut": cut,
                  "topic_reason": None if on_topic else verdict.meta.get("topic_reason")},
        )

    async def _offline(self, turn: Turn, call_id: str, shown: list[str], *, reason: str,
                       kind: str) -> AsyncIterator[TextDelta | ReplyDone]:
        """Explain why the model is not answering, then let the offline tutor answer."""
        if kind == "budget":
            lead = f"**{reason}** The offline tutor answers instead.\n\n"
        else:
            lead = (f"**The model backend could not answer** ({reason}) The offline tutor "
                    "answers instead.\n\n")
        yield TextDelta(lead)
        text = lead
        async for event in self.tutor.respond(turn):
            if isinstance(event, TextDelta):
                text += event.text
                yield event
            else:
                yield ReplyDone(
                    text=_redact(text), backend="offline", objectives=event.objectives,
                    on_topic=event.on_topic, tools_used=event.tools_used, call_id=call_id,
                    meta=dict(event.meta) | {"fallback_reason": kind, "reason": reason,
                                             "configured": self.label},
                )
