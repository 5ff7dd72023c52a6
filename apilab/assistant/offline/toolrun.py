"""The tools the offline tutor runs on a message: cost, prices, tokens, backoff, code, HTTP, JSON.

``run_tools(draft)`` detects what the message calls for (``intents.py``), runs it
through ``apilab.assistant.tools`` / ``httpinfo`` / ``codecheck`` and appends the
Markdown to the draft; it returns the prose left for retrieval (pasted code,
JSON and HTTP responses would swamp it).
"""

from __future__ import annotations

import dataclasses
import re
import time

from apilab.assistant import httpinfo, tools
from apilab.assistant.offline import codecheck, intents
from apilab.assistant.offline.draft import Draft
from apilab.errors import ApilabError

__all__ = ["PREFERRED_MODELS", "resolve_models", "run_tools", "strip_blocks", "strip_code"]

PREFERRED_MODELS = ("gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "claude-sonnet-4",
                    "gemini-2.0-flash", "gemini-1.5-flash")


def run_tools(w: Draft) -> str:
    """Run the tools the message calls for; returns the text left for retrieval."""
    text = w.message
    retrieval_text = text
    cost = intents.detect_cost(text)
    if cost:
        run_cost(w, cost)
    else:
        models = intents.detect_price_lookup(text)
        if models:
            run_price(w, models)
    count = intents.detect_token_count(text)
    if count:
        run_count(w, count)
    backoff = intents.detect_backoff(text)
    if backoff:
        started = time.perf_counter()
        w.parts.append(tools.render_backoff(backoff.attempts, backoff.base, backoff.cap,
                                            backoff.jitter))
        w.ran("backoff_schedule", dataclasses.asdict(backoff), started)
    code = codecheck.extract_code(text)
    if code is not None:
        run_code_review(w, code)
        retrieval_text = strip_blocks(strip_code(text))
    http = intents.wants_http_explanation(text)
    if http == "pasted":
        started = time.perf_counter()
        explained = httpinfo.explain(text)
        if explained:
            w.parts.append(explained)
            w.ran("explain_http_response", {"chars": len(text)}, started)
            retrieval_text = strip_blocks(text)
    elif isinstance(http, list):
        # Shown only if the answer card does not already explain these codes.
        w.pending_codes = http
    if http != "pasted" and code is None:
        pasted = intents.detect_json(text)
        if pasted:
            started = time.perf_counter()
            doc, schema = pasted
            result = tools.json_check(doc, schema)
            w.parts.append(tools.render_json_check(result))
            w.ran("check_json", {"schema": schema is not None, "parsed": result.parsed},
                  started)
            retrieval_text = strip_blocks(text)
    return retrieval_text

def run_code_review(w: Draft, code: str) -> None:
    started = time.perf_counter()
    findings = codecheck.review(code)
    if findings:
        lines = [f"**I read your code and found {len(findings)} thing(s) to fix:**", ""]
        lines += [f"{n}. {f.message}" for n, f in enumerate(findings, 1)]
        w.parts.append("\n".join(lines))
    else:
        w.parts.append("I read your code and found none of the common mistakes I check "
                       "for (messages shape, missing `max_tokens` on Anthropic, no timeout, "
                       "retries without backoff, hard-coded keys, streaming misuse, "
                       "regex-parsing output, unvalidated JSON). That is not a full review.")
    w.tools.append({"name": "review_code", "args": {"lines": code.count("\n") + 1,
                                                    "findings": [f.rule for f in findings]},
                    "ms": round((time.perf_counter() - started) * 1000, 3)})
    valid = {o.id for o in w.turn.lab.objectives}
    mine = [f.objective for f in findings if f.objective in valid]
    w.add_objectives(mine)
    if mine:
        w.on_topic = True

def run_price(w: Draft, candidates: list[str]) -> None:
    started = time.perf_counter()
    models, problems, guessed = resolve_models(candidates)
    if not models:
        return
    lines = [tools.render_price(m) for m in models]
    if guessed:
        lines.append(guessed)
    lines.append("Give me token numbers (e.g. \"2M input and 500k output tokens\") and I'll "
                 "work out the exact cost.")
    w.parts.append("\n\n".join(lines))
    w.ran("estimate_cost", {"models": models, "prices_only": True}, started)

def run_cost(w: Draft, req: intents.CostRequest) -> None:
    from apilab.pricing import list_models

    started = time.perf_counter()
    models, problems, guessed = resolve_models(list(req.models))
    if guessed:
        w.notes.append(guessed)
    if not models and problems:
        w.parts.append(f"I couldn't price that: {problems[0]}")
        w.ran("estimate_cost", {"models": list(req.models), "error": problems[0]}, started)
        return
    compare = not models
    if compare:
        known = {p.model if hasattr(p, "model") else str(p) for p in list_models()}
        models = [m for m in PREFERRED_MODELS if m in known][:4] or sorted(known)[:4]
    outputs = []
    figures = []
    for model in models:
        try:
            md, fig = tools.render_cost(model, req.input_tokens, req.output_tokens,
                                        req.cached_input_tokens, req.requests, req.at)
        except ApilabError as exc:
            outputs.append(f"`{model}`: {exc}")
            continue
        outputs.append(md)
        figures.append(fig)
    if compare:
        outputs.insert(0, "You didn't name a model, so here is the same workload on a few "
                          "(name one, e.g. \"on gpt-4o-mini\", for just that):")
    if req.days > 1:
        outputs.append(f"_{req.requests // req.days:,} requests a day x 30 days = "
                       f"{req.requests:,} requests a month._")
    if req.output_tokens == 0 and req.input_tokens:
        outputs.append("_Only input tokens are priced here. Add the output you expect "
                       "(\"... and 500k output tokens\"): output usually costs 3-5x more per "
                       "token._")
    w.parts.append("\n\n".join(outputs))
    w.ran("estimate_cost", {"input_tokens": req.input_tokens,
                            "output_tokens": req.output_tokens,
                            "cached_input_tokens": req.cached_input_tokens,
                            "requests": req.requests, "models": models, "at": req.at,
                            "totals": [f["total_usd"] for f in figures]}, started)

def run_count(w: Draft, req: tuple[str, str | None]) -> None:
    started = time.perf_counter()
    kind, payload = req
    if kind == "words" and payload:
        words = int(payload)
        w.parts.append(
            f"**{words:,} English words is roughly {round(words / 0.75):,} tokens** "
            "(rule of thumb: 1 token ~ 0.75 words, ~4 characters; code and non-English "
            "text use more). For an exact number, count the real text with tiktoken: "
            "`len(tiktoken.encoding_for_model(\"gpt-4o\").encode(text))`."
        )
        w.ran("count_tokens", {"words": words}, started)
        return
    model = "gpt-4o"
    for candidate in intents.model_candidates(w.message):
        try:
            from apilab.pricing import resolve_model

            model = resolve_model(candidate)
            break
        except ApilabError:
            continue
    w.parts.append(tools.TOOLS["count_tokens"].run(text=payload or "", model=model))
    w.ran("count_tokens", {"chars": len(payload or ""), "model": model}, started)


def resolve_models(candidates: list[str]) -> tuple[list[str], list[str], str | None]:
    """Canonical model ids for the names a learner used: (models, problems, guess note).

    The longest spelling that resolves wins ("gpt-4o-mini" over "gpt-4o"); a name that
    does not resolve but has close matches is taken as the first match, and said so.
    """
    from apilab.errors import UnknownModelError
    from apilab.pricing import resolve_model

    models: list[str] = []
    problems: list[str] = []
    guess: str | None = None
    for candidate in candidates:
        try:
            model = resolve_model(candidate)
        except UnknownModelError as exc:
            problems.append(str(exc))
            if exc.suggestions and guess is None and not models:
                guess = candidate
            continue
        except ApilabError as exc:
            problems.append(str(exc))
            continue
        if model not in models:
            models.append(model)
            break
    if not models and guess is not None:
        from apilab.errors import UnknownModelError as _Unknown

        try:
            resolve_model(guess)
        except _Unknown as exc:
            models.append(resolve_model(exc.suggestions[0]))
            others = ", ".join(exc.suggestions[1:])
            note = (f"_I took \u201c{guess}\u201d to mean `{models[0]}`"
                    + (f" (other close matches: {others})" if others else "") + "._")
            return models, problems, note
    return models, problems, None


_BLOCKS = re.compile(r"```.*?```|\{.*\}|\[.*\]", re.S)


def strip_code(text: str) -> str:
    """The message without fenced code (the prose carries the question)."""
    return re.sub(r"```.*?```", " ", text, flags=re.S)


def strip_blocks(text: str) -> str:
    """The prose of a message without pasted code/JSON (which would swamp retrieval)."""
    prose = _BLOCKS.sub(" ", text)
    prose = re.sub(r"(?m)^\s*[A-Za-z-]+:\s.*$", " ", prose)  # header lines
    return prose
