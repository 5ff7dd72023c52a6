"""Stage 1 of the offline tutor: read a learner's message before answering it.

A real message mixes the learner's own words with material they pasted: code,
JSON or a JavaScript object, a traceback, a log, a curl command, an HTTP
response, a ``.env`` file, a system prompt. ``read_message`` separates the two:
the *prose* says what the learner wants; pasted material is evidence. Retrieval
and confidence are computed on ``focus`` (the question sentences, or the problem
statements when there is no question), so a long paste or a paragraph of
backstory cannot dilute or hijack the answer.

Every pass here is linear in the message length (the message is untrusted and
this runs on the event loop): line-by-line classification, one stack pass for
brackets, and regular expressions without nested quantifiers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from importlib import resources

import yaml

from apilab.assistant.brackets import balanced_regions
from apilab.assistant.offline.signals import Signals, read_signals

__all__ = ["Pasted", "Reading", "read_message", "sentences"]


@dataclasses.dataclass(frozen=True)
class Pasted:
    """One block of pasted material."""

    kind: str  # code | json | js-object | traceback | log | curl | http | env | prompt | text
    text: str
    language: str = ""  # a fence's language tag, or a guess ("python", "javascript")


@dataclasses.dataclass(frozen=True)
class Reading:
    """A message read: the learner's words, what they pasted, and strong signals."""

    text: str  # the whole (already redacted) message
    prose: str  # the learner's own words with pasted blocks removed
    questions: tuple[str, ...]  # question sentences, in order
    problems: tuple[str, ...]  # "I get X", "it doesn't work" statements
    pasted: tuple[Pasted, ...]
    signals: Signals
    lead: str = ""  # the opening sentence, when it says what the message is about

    glosses: tuple[str, ...] = ()  # English terms for words written in another language
    # An opening story before the question ("we are a team of 5 devs, ..."): read with the
    # question, never matched on its own (``parts``).
    backstory: str = ""
    setup: tuple[str, ...] = ()  # short statements of the learner's stack ("backend is Node")
    # Questions about what the sentence before says ("how do i do that with the openai
    # sdk?"), each with that sentence: matched as a part together.
    refers: tuple[tuple[str, str], ...] = ()

    @property
    def focus(self) -> str:
        """What the learner asks, for retrieval and confidence: the opening line (often a
        title naming the topic), then the questions, then the problem statements, up to
        about 60 words. Pasted material and backstory are left out."""
        chosen: list[str] = []
        if self.lead or self.backstory:
            chosen.append(self.lead or self.backstory)
        for sentence in (*self.questions, *self.problems, *self.setup):
            if sentence not in chosen:
                chosen.append(sentence)
            if sum(len(c.split()) for c in chosen) >= 60:
                break
        text = " ".join(chosen) if chosen else self.prose
        return f"{text} {' '.join(self.glosses)}" if self.glosses else text

    @property
    def parts(self) -> list[str]:
        """The focus sentences one by one (for matching each against the notes)."""
        out = [self.lead] if self.lead else []
        out += [q for q in (*self.questions, *self.problems[:2]) if q not in out]
        joined = dict(self.refers)
        return [joined.get(q, q) for q in out[:5]]

    def pasted_kinds(self) -> set[str]:
        return {p.kind for p in self.pasted}

    def pasted_text(self, *kinds: str) -> str:
        return "\n".join(p.text for p in self.pasted if not kinds or p.kind in kinds)


# --- lines ---------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+#.-]*)")
_INLINE_FENCE = re.compile(r"(?<=\S)[ \t]*(?=```)")
# Words after a fence's language on the same line: the learner is talking about backticks
# ("it adds ```json at the start and my json.loads breaks"), not opening a block.
# ("... starts with ```json ... how do i fix this": an ellipsis may come first.)
# (A fence closing the line after it makes it an inline block, "```text You are a bot.```";
# one with more words after it is mentioned too: "starts with ```json and ends with ```.
# I told it ...".)
_PROSE_AFTER_FENCE = re.compile(r"[ \t]+(?:[.\u2026,:;-]{1,3}[ \t]{0,3})?[A-Za-z][a-z']*"
                                r"(?:[ \t,]+[A-Za-z][a-z']*){2}\b(?!.*```[ \t]*$)")
_TRACE_LINE = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)|File \"[^\"\n]{1,300}\", line \d+|"
    r"at [\w$.<>]+ \(|at (?:async )?[\w$./<>-]+:\d+|\^+\s*$|During handling of the above|"
    r"The above exception was|raise \w|(?:[\w]+\.){0,6}[A-Z]\w{0,60}(?:Error|Exception|Warning)"
    r"(?:\[\w+\])?:)"
)
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\[?\d\d:\d\d:\d\d[\].,\s]|"
    r"(?:ERROR|WARN|WARNING|INFO|DEBUG|CRITICAL)\b[:\s]|\d{1,3}(?:\.\d{1,3}){3} - )"
)
# A curl command, not prose that starts with the word ("curl 401 with a brand new key"): a
# flag, a quote, a URL, a host or a line continuation follows.
_CURL_START = re.compile(r"^\s*(?:\$\s*)?curl\s+(?=[-\"'\\]|https?:|localhost|\d{1,3}\.|"
                         r"[\w-]{1,63}\.[\w.-]{2,200}(?:[/:\s]|$))", re.I)
_HTTP_STATUS = re.compile(r"^\s*HTTP/\d(?:\.\d)?\s+\d{3}")
_HEADER_LINE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]{1,60}:\s+\S")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?[A-Z][A-Z0-9_]{2,60}\s*=\s*\S*\s*$")
_CODE_START = re.compile(
    r"^\s*(?:import\s+[\w.]|from\s+[\w.]+\s+import\b|def\s+\w|class\s+\w+[(:]|async\s+def\b|"
    r"await\s|const\s+\w|let\s+\w|var\s+\w|function\s*\w*\(|return\b|if\s.{0,200}[:{]\s*$|"
    # "async function callWithRetry(...): Promise<any> {", "export default function"
    r"(?:export\s+(?:default\s+)?)?(?:async\s+)?function\*?\s*\w*\s*[(<]|export\s+(?:const|let)\s|"
    r"elif\b|else\s*[:{]|for\s.{0,200}[:{]\s*$|while\s.{0,200}[:{]\s*$|try\s*[:{]|"
    r"except\b|catch\s*\(|finally\s*[:{]|with\s.{0,200}:\s*$|print\(|console\.\w+\(|"
    r"@\w|#include|package\s+\w|public\s|\}|\)|\]|\w+\s*\.\s*\w+\(.*\)\s*;?\s*$|"
    r"[\w.\[\]\"']+\s*(?:=|\+=|:=)\s*\S)"
)
_PROSE_WORD = re.compile(r"\b[a-zA-Z]{2,}\b")


def _symbol_share(line: str) -> float:
    stripped = line.strip()
    if not stripped:
        return 0.0
    symbols = sum(1 for c in stripped if c in "(){}[]=;:<>\"'`_.,+*/\\|&$#@%")
    return symbols / len(stripped)


_ASSIGNED_CALL = re.compile(r"^(?:const |let |var )?[A-Za-z_][\w.]{0,60}\s{0,3}=\s{0,3}"
                            r"(?:await\s{1,3}|new\s{1,3})?[A-Za-z_][\w.]{0,80}\(")


def _is_code_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.endswith("?"):
        return False
    words = _PROSE_WORD.findall(stripped)
    # "client = anthropic.Anthropic(api_key="sk-ant-...")": an assignment from a call (a
    # long key inside it makes the line look like letters, not symbols).
    if _ASSIGNED_CALL.match(stripped):
        return True
    if _CODE_START.match(line):
        # "if it fails, what then:" is prose; code has symbols or few words.
        return _symbol_share(stripped) >= 0.06 or len(words) <= 4
    # An indented line with code punctuation, or a line that is mostly symbols.
    if line.startswith(("    ", "\t")) and _symbol_share(stripped) >= 0.08:
        return True
    return _symbol_share(stripped) >= 0.25 and len(words) <= 8


def _guess_language(text: str) -> str:
    if re.search(r"^\s*(?:import|from)\s+\w|def\s+\w+\(|print\(|:\s*$", text, re.M):
        return "python"
    if re.search(r"\b(?:const|let|await|=>|require\(|console\.)", text):
        return "javascript"
    return ""


def _kind_of_fenced(body: str, language: str) -> str:
    lang = language.lower()
    stripped = body.strip()
    if lang in ("json", "jsonc"):
        return "json"
    if lang in ("bash", "sh", "shell", "console") and _CURL_START.search(stripped):
        return "curl"
    if lang in ("env", "dotenv"):
        return "env"
    if lang in ("http",):
        return "http"
    if lang in ("", "text", "txt", "plaintext", "log"):
        if _TRACE_LINE.match(stripped) or "Traceback" in stripped[:200]:
            return "traceback"
        if stripped[:1] in "{[":
            return "json"
        if _CURL_START.match(stripped):
            return "curl"
        if _HTTP_STATUS.match(stripped):
            return "http"
        lines = [ln for ln in stripped.splitlines() if ln.strip()]
        if lines and all(_ENV_LINE.match(ln) or ln.lstrip().startswith("#") for ln in lines):
            return "env"
        if lines and sum(_is_code_line(ln) for ln in lines) * 2 >= len(lines):
            return "code"
        return "prompt" if len(stripped) > 200 and lang in ("", "text", "txt") else "text"
    return "code"


@dataclasses.dataclass
class _Block:
    kind: str
    lines: list[str]
    language: str = ""


def _classify_line(line: str, previous: str) -> str:
    if _HTTP_STATUS.match(line):
        return "http"
    if previous == "http" and _HEADER_LINE.match(line):
        return "http"
    if _CURL_START.match(line):
        return "curl"
    if previous == "curl" and re.match(r"^\s*(?:-{1,2}[A-Za-z]|['\"{}\]])", line):
        return "curl"
    if _TRACE_LINE.match(line):
        return "traceback"
    if previous == "traceback" and line.startswith((" ", "\t")):
        return "traceback"
    if _LOG_LINE.match(line):
        return "log"
    if _ENV_LINE.match(line) and "=" in line and not line.strip().endswith("?"):
        return "env"
    if _is_code_line(line):
        return "code"
    return "prose"


def _inline_fence_break(text: str, m: re.Match[str]) -> str:
    """A line break before a fence that opens mid-line, unless words follow its language
    on that line ("the output starts with ```json ... how do i fix this" talks about it)."""
    end = text.find("\n", m.end(), m.end() + 400)
    rest = text[m.end():end if end >= 0 else m.end() + 400]
    fence = _FENCE.match(rest)
    if fence and _PROSE_AFTER_FENCE.match(rest[fence.end():]):
        return m.group(0)
    return "\n"


def _segment(text: str) -> tuple[list[str], list[Pasted]]:
    """Split into prose lines and pasted blocks, one pass over the lines."""
    prose: list[str] = []
    pasted: list[Pasted] = []
    blocks: list[_Block] = []
    fence: _Block | None = None
    fence_mark = ""
    # A fence may open or close mid-line ("Is this ok? ```json"): start it on its own line.
    lines = _INLINE_FENCE.sub(lambda m: _inline_fence_break(text, m), text).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1) == fence_mark:
                body = "\n".join(fence.lines)
                pasted.append(Pasted(_kind_of_fenced(body, fence.language), body,
                                     fence.language or _guess_language(body)))
                fence = None
                rest = line.strip()[3:].strip()
                if rest:  # "``` schema: {...}": the words after a closing fence are prose
                    lines.insert(i, rest)
            else:
                fence.lines.append(line)
            continue
        if m and not _PROSE_AFTER_FENCE.match(line[m.end():]):
            fence = _Block("fence", [], m.group(2))
            fence_mark = m.group(1)
            continue
        previous = blocks[-1].kind if blocks else ""
        kind = _classify_line(line, previous)
        if kind == "prose" and not line.strip() and previous and previous != "prose":
            kind = previous  # a blank line inside a pasted block
        # A continuation line of code (indented, or closing brackets) stays with the code.
        if kind == "prose" and previous == "code" and line.startswith(("  ", "\t")):
            kind = "code"
        if blocks and blocks[-1].kind == kind:
            blocks[-1].lines.append(line)
        else:
            blocks.append(_Block(kind, [line]))
    if fence is not None:  # an unclosed fence: everything after it was pasted
        body = "\n".join(fence.lines)
        pasted.append(Pasted(_kind_of_fenced(body, fence.language), body, fence.language))
    for block in blocks:
        body = "\n".join(block.lines).strip("\n")
        if block.kind == "prose":
            prose.append(body)
        elif block.kind == "code" and len([ln for ln in block.lines if ln.strip()]) == 1 and (
                len(_PROSE_WORD.findall(body)) >= 3 or len(body) < 12):
            prose.append(body)  # one short code-ish line inside prose is part of the sentence
        elif body.strip():
            pasted.append(Pasted(block.kind, body, _guess_language(body)
                                 if block.kind == "code" else ""))
    return prose, pasted


def _lift_objects(prose: list[str], pasted: list[Pasted]) -> tuple[list[str], list[Pasted]]:
    """Move JSON / JS objects embedded in prose lines ("I get {'error': ...}") to pasted."""
    out: list[str] = []
    for chunk in prose:
        regions = [(s, e) for s, e in balanced_regions(chunk) if e - s >= 12
                   and (":" in chunk[s:e] or chunk[s] == "[" and "," in chunk[s:e])]
        if not regions:
            out.append(chunk)
            continue
        last = 0
        kept = []
        for s, e in regions:
            kept.append(chunk[last:s])
            body = chunk[s:e]
            kind = "json" if re.match(r"\s*[{\[]\s*(?:\"|\[|\{|\d|-?\d|true|false|null|\])",
                                      body) else "js-object"
            pasted.append(Pasted(kind, body))
            last = e
        kept.append(chunk[last:])
        out.append(" ".join(k for k in kept if k.strip()))
    return out, pasted


# --- sentences -----------------------------------------------------------------------------

# A question about what the sentence before it says ("how do i do that", "can I fix this",
# "what even is that"): alone it is only its stack ("... in python with the openai sdk"
# found the first-call card), so it is read with that sentence.
_DOES_THAT = re.compile(r"\b(?:do|does|did|doing|fix|make|get|achieve|implement|handle|"
                        r"solve|avoid|prevent|stop)\s{1,3}(?:that|this|it)\b|"
                        r"\bwhat(?:'s|s|\s{1,3}is|\s{1,3}even\s{1,3}is|\s{1,3}exactly\s{1,3}is)"
                        r"\s{1,3}(?:that|this|it)\b", re.I)


# Informal text ends sentences in lower case too ("... for each row. how do i get the text
# out? right now i print it"): after "?" or "!" always, after "." when a question word
# follows.
_SENTENCE_END = re.compile(
    r"(?<=[.?!])\s+(?=[\"'(A-Z0-9])|(?<=[?!])\s+(?=[a-z])|(?<=[A-Za-z0-9)]\.)\s+(?=(?:how|what|why|when|"
    r"where|which|who|can|could|should|do|does|did|is|are|will|would)\b)|"
    # "... using gpt-4o. we have never done evals": a new sentence about the asker (not
    # after "e.g." and the like).
    r"(?<=[A-Za-z0-9)]\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)\s+"
    r"(?=(?:i|we|my|our|i'm|im|we're|we've|i've)\s)|(?<=[。！？])|\n+")
_QUESTION_START = re.compile(
    r"^\s*(?:so,?\s+|but\s+|and\s+|also,?\s+|then\s+|ok,?\s+|hi,?\s+|hey,?\s+|basically,?\s+|"
    r"hmm+,?\s+|um+,?\s+|well,?\s+)?"
    r"(?:how|what|why|when|where|which|who|whom|whose|is|are|am|was|were|can|could|should|"
    r"would|will|do|does|did|has|have|any|anyone|anybody|is there|are there|"
    r"please (?:help|explain|tell)|help|explain|tell me|wondering|i wonder|"
    r"i(?:'d| would) like to know|i want to know|i need to know|not sure (?:how|what|why|if)|"
    r"i(?:'m| am) (?:not sure|confused|wondering|trying to (?:understand|figure))|"
    r"what's|whats|how's|hows|where's|who's|isn't|aren't|doesn't|don't|can't|shouldn't|"
    r"wat|wats|wut|y|hw|pls (?:help|explain|tell)|"  # chat spelling ("wat is tpm", "y does")
    r"is it|am i|should i|can i|do i|how do|how can|how to|best way|recommended way|"
    r"idk (?:how|what|why|if)|i (?:don'?t|do not) know (?:how|what|why|if|whether))\b",
    re.I,
)
# Chinese questions often end without "？" ("...如何解决的呢!").
_CJK_QUESTION_END = ("吗", "呢", "么", "嘛")
_BARE_WHY = re.compile(r"^\s*(?:but |so )?(?:why|why not|how|how so|how come|really)\s*[?？]+\s*$",
                       re.I)
_PROBLEM = re.compile(
    r"\b(?:error|errors|exception|fail|fails|failed|failing|doesn't work|does not work|"
    r"didn't work|not working|won't|isn't working|broken|breaks|crash|crashes|stuck|hangs|"
    r"timeout|timed out|stops?|stopping|middle of|half(?:way)?|"
    r"keeps? (?:getting|returning|giving|saying)|i (?:get|got|am getting|"
    r"'m getting|keep getting|see|receive|received)|returns?|returned|gives? me|throws?|"
    r"threw|raised?|can't|cannot|unable|no longer|stopped|wrong|weird|strange|unexpected|"
    r"issue|problem|bug|leaked|exposed|charged|cost|costs|bill|exceeded|limit|"
    r"truncat\w*|cut off|empty|missing|ignor\w+|different|inconsistent|slow|still|"
    r"even though|although|instead|only|nothing|never|already|not able to|had to|"
    r"asks? (?:me )?for|not (?:detected|found|recogni[sz]ed|picked up|read|loaded|set|seen))\b",
    re.I,
)


# Issue-template headings and questions that carry no topic of their own.
_TEMPLATE = re.compile(
    r"^\s*(?:what happened|describe the bug|bug description|steps to reproduce|to reproduce|"
    r"expected (?:behaviou?r|result)|actual (?:behaviou?r|result)|additional (?:context|info\w*)|"
    r"environment|problem|question|description|summary|context|details|logs?|screenshots?|"
    r"version|versions|system info|reproduction|error|output|code|"
    r"what (?:model|version|provider|os|operating system|browser) (?:are|were) you using|"
    r"which (?:model|version|provider) (?:are|were) you using|"
    r"(?:are you|is this) (?:a|an) (?:bug|feature request|question)|"
    r"is your feature request related to a problem(?: please describe)?|"
    r"describe the solution you'?d like|describe alternatives you'?ve considered)\s*[?:.]*\s*$",
    re.I)
_GENERIC = re.compile(
    r"^\s*(?:(?:so|but|and|please|pls|hi|hey)\W+)*(?:any (?:idea|ideas|help|suggestions?|"
    r"thoughts|solution|fix|advice|pointers)|(?:can|could|would) (?:any ?one|some ?one|you) "
    r"(?:please )?(?:help|assist|advise|explain)(?: me)?(?: with this| out| here)?|"
    r"(?:is there )?(?:a|any) (?:fix|solution|workaround)(?: for this)?|what am i doing wrong|"
    r"what(?:'s| is) (?:wrong|going on|happening)|has any ?(?:one|body) (?:else )?"
    r"(?:faced|seen|had|encountered|experienced) (?:this|a similar|the same)[\w\s]{0,20}|"
    r"(?:how|what) (?:can|do|should) i (?:do|fix this|solve this)|how to (?:fix|solve) "
    r"(?:this|it)|am i missing something|is (?:this|it) a bug|why|help|thanks?(?: you)?(?: in "
    r"advance)?)\s*[?!.]*\s*$", re.I)


def sentences(prose: str) -> list[str]:
    """Sentences of the learner's prose (newlines and sentence ends split)."""
    parts = _SENTENCE_END.split(prose)
    out = []
    for part in parts:
        part = part.strip(" \t-*>#")
        if _LETTER.search(part):
            out.append(part)
    return out


_LETTER = re.compile(r"[^\W\d_]")  # a letter of any alphabet (CJK included)


def _wordy(text: str, words: int) -> bool:
    """At least ``words`` words, counting a run of CJK characters as one word per 2."""
    latin = len(_PROSE_WORD.findall(text))
    other = sum(1 for c in text if ord(c) > 0x2E7F and c.isalpha())
    return latin + other // 2 >= words


def is_question(sentence: str) -> bool:
    """A sentence that asks something (a "?" or an interrogative start)."""
    return ("?" in sentence or "？" in sentence
            or sentence.rstrip().rstrip("!！。.~～").endswith(_CJK_QUESTION_END)
            or (bool(_QUESTION_START.match(sentence)) and not _NOT_ASKING.match(sentence)))


# Without a "?", these openings state or instruct: "Do not output anything that is not
# json." (a quoted prompt), "When using GPT-3.5 the plugin runs first." ("when should I
# retry" still asks: an auxiliary follows).
_NOT_ASKING = re.compile(
    r"^\s*(?:do not|don'?t|does not|doesn'?t|did not|didn'?t)\s+(?!know\b|understand\b)\w+"
    r"|^\s*when\s+(?!(?:should|do|does|did|is|are|was|will|would|can|could|to)\b)\w+", re.I)


# An opening that tells a story ("we are a team of 5 devs, ...", "So last month I built a
# recipe bot") is context, not the topic, when a question follows: its product and platform
# names would otherwise outweigh the question ("AWS ECS" picked an AWS-key card for "how
# should we handle the openai keys?").
_BACKSTORY = re.compile(
    r"^\s*(?:(?:so|ok|okay|hi|hey|hello|well|basically|background|context)\W+)*"
    r"(?:(?:last|this|next) (?:week|month|year|night|weekend)|yesterday|today|recently|"
    r"it looks like|it seems|looks like|apparently|it'?s for|it is for|this is for|"
    r"a (?:few|couple of) (?:days|weeks|months)|i|i'm|im|i've|ive|i am|i have|we|we're|"
    r"were|we've|we are|we have|our|my|me and)\b", re.I)


def tells_story(sentence: str) -> bool:
    """A statement about the learner's situation ("im building a recipe bot"), not a
    question."""
    return bool(_BACKSTORY.match(sentence)) and not is_question(sentence)


# "what does stateless mean and how do i do streaming in node?", "what's jitter, and also how
# do I set a spending cap?": two questions in one sentence, joined before a question word.
_JOINED_QUESTION = re.compile(
    r"(?:,\s{0,3}|\s{1,3})(?:and|also|plus)\s{1,3}(?:also\s{1,3})?(?=(?:how|what|what's|whats|"
    r"why|which|where|when|should|can|could|do|does|is|are)\s)", re.I)


_LEAD_IN = re.compile(r"^[^:?.!\n]{1,30}:\s{1,3}(?=\S)")


# "I'm building a support bot for my bike shop, what should the system prompt have?": the
# story and the question share one sentence; matched whole, the story's words (bike shop,
# customer) outweigh the question's.
_STORY_COMMA = re.compile(
    r",\s{0,3}(?:(?:so|but|and|now)\s{1,3})?(?=(?:how|what|what's|whats|why|"
    r"should|can|could|do|does|is|are)\s)", re.I)


def _story_then_question(sentence: str) -> tuple[str, str]:
    """``(story, question)`` when a sentence opens with a story and asks after a comma,
    else ``("", sentence)``."""
    m = _STORY_COMMA.search(sentence[:400])
    if m is None:
        return "", sentence
    story, asked = sentence[:m.start()].strip(), sentence[m.end():].strip()
    # Only a question the learner marks as one: ", which ..." and ", where I ..." go on
    # with the story.
    if (len(story.split()) < 3 or len(asked.split()) < 3 or not _BACKSTORY.match(story)
            or is_question(story) or not asked.rstrip().endswith("?")):
        return "", sentence
    return story, asked


def _two_questions(sentence: str) -> list[str]:
    """The sentence, or its two questions when it joins two ("what's jitter" is one)."""
    m = _JOINED_QUESTION.search(sentence[:400])
    if m is None:
        return [sentence]
    first, second = sentence[:m.start()].strip(" ,"), sentence[m.end():].strip()
    # "ok more specific: which errors should I retry and what ...": a short lead-in.
    first = _LEAD_IN.sub("", first, count=1)
    if len(first.split()) < 2 or len(second.split()) < 3 or not _QUESTION_START.match(first):
        return [sentence]
    return [first + ("?" if sentence.rstrip().endswith("?") else ""), second]


# The stack a learner names: languages, frameworks, SDKs, hosts and providers.
STACK_WORDS = 14
_STACK = re.compile(
    r"\b(?:node(?:\.?js)?|express|next\.?js|react|vue|svelte|angular|typescript|javascript|"
    r"python|flask|django|fastapi|streamlit|gradio|java|spring|kotlin|swift|go|golang|rust|"
    r"php|laravel|ruby|rails|c#|\.net|unity|flutter|dart|android|ios|langchain|llamaindex|"
    r"vercel|netlify|heroku|render|fly\.io|aws|lambda|azure|gcp|firebase|supabase|docker|"
    r"openai|anthropic|claude|gemini|ollama|openrouter|groq|mistral|deepseek|bedrock|"
    r"sdk|celery|redis|postgres)\b", re.I)


def read_message(text: str) -> Reading:
    """Read one message: prose vs pasted material, questions, problems and signals."""
    prose_chunks, pasted = _segment(text)
    prose_chunks, pasted = _lift_objects(prose_chunks, pasted)
    prose = "\n".join(c for c in prose_chunks if c.strip()).strip()
    questions: list[str] = []
    problems: list[str] = []
    joined: set[str] = set()  # sentences read as two questions
    setup: list[str] = []
    previous = ""
    stories: dict[str, str] = {}  # the opening sentence read as a story and its question
    refers: dict[str, str] = {}  # "how do i do that?" -> read with the sentence before it
    for n, sentence in enumerate(sentences(prose)):
        # Only the opening: a later sentence's story ("i didnt call load_dotenv, do i need
        # to install something for that?") is what its question is about.
        story, asked = _story_then_question(sentence) if n == 0 else ("", sentence)
        if story:
            stories[sentence] = story
            sentence = asked
        if previous and _BARE_WHY.match(sentence):
            # "Why?" asks about the sentence before it.
            questions.append(f"{previous} {sentence}")
            continue
        if _TEMPLATE.match(sentence) or _GENERIC.match(sentence):
            continue  # "### What happened?", "Any idea?": structure, not the question
        if is_question(sentence) and previous and _DOES_THAT.search(sentence[:200]):
            refers[sentence] = f"{previous} {sentence}"
        if is_question(sentence):
            both = _two_questions(sentence)
            questions += both
            if len(both) > 1:
                joined.add(sentence)
        elif _PROBLEM.search(sentence):
            problems.append(sentence)
        elif _STACK.search(sentence) and len(sentence.split()) <= STACK_WORDS:
            # "My backend is Node/Express.", "I'm using the anthropic sdk.": short facts
            # about the setup that decide which answer fits.
            setup.append(sentence)
        previous = sentence
    if not questions and not problems and not prose and pasted:
        # Only a paste: its first line is what the learner is showing us.
        first = pasted[0].text.strip().splitlines()[0] if pasted[0].text.strip() else ""
        problems = [first[:200]] if first else []
    signals = read_signals(text, prose)
    all_sentences = sentences(prose)
    lead = backstory = ""
    if all_sentences and _wordy(all_sentences[0], 2) and not _SMALL_TALK.match(
            all_sentences[0]):
        lead = all_sentences[0]
        if lead in stories:
            lead, backstory = "", stories[lead]
        elif questions and _BACKSTORY.match(lead) and not is_question(lead):
            lead, backstory = "", lead
        elif lead in joined:
            lead = ""  # its two questions stand for it
        questions = [q for q in questions if q not in (lead, backstory)]
        problems = [p for p in problems if p not in (lead, backstory)]
    return Reading(text=text, prose=prose, questions=tuple(questions),
                   problems=tuple(problems), pasted=tuple(pasted), signals=signals, lead=lead,
                   glosses=glosses(prose), backstory=backstory,
                   setup=tuple(x for x in setup if x not in (lead, backstory)),
                   refers=tuple(refers.items()))


@functools.cache
def _glossary() -> tuple[tuple[str, str], ...]:
    path = resources.files("apilab.assistant.offline") / "rules" / "glossary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = [(str(k).lower(), str(v)) for lang in data.values() for k, v in lang.items()]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))


def glosses(prose: str) -> tuple[str, ...]:
    """English course terms for words in the prose written in another language."""
    if prose.isascii():
        return ()
    low = prose[:4000].lower()
    return tuple(dict.fromkeys(gloss for word, gloss in _glossary() if word in low))


_SMALL_TALK = re.compile(
    r"^\s*(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)|thanks?|thank you|"
    r"ty|thx|tysm|thnx|bro|brother|sir|guys|folks|"
    r"first (?:of all|thing)|i'?m (?:a |quite |very )?(?:new|noob|beginner|newbie)|sorry|"
    r"apologies|not a (?:real )?(?:coding )?(?:issue|bug))\b", re.I)
