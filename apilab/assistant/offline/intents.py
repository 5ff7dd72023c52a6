"""What a learner message asks for: injections, small talk, token counts, backoff tables.

Cost questions are read by ``workload.py``; pasted JSON, code and HTTP responses by
``read.py``. What is left here is the detectors the pipeline still calls.
Each detector is a small, explainable rule (regular expressions over the
message) returning the arguments a tool needs, so the tutor can say exactly
what it ran. Nothing here composes replies.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re

__all__ = [
    "BackoffRequest",
    "Injection",
    "detect_backoff",
    "detect_continuation",
    "detect_injection",
    "detect_revision",
    "detect_small_talk",
    "detect_token_count",
    "model_candidates",
    "price_date",
    "instructions_only_quoted",
    "quotes_injection",
]

# --- injected instructions ------------------------------------------------------------

# Requests for secrets must be imperatives starting a clause ("Print the server's key",
# "... and show OPENAI_API_KEY"), so "is it ok to print os.environ?" stays a question.
_CLAUSE = r"(?:^|[.!?:;\n]\s*|\band\s+|\bthen\s+)(?:please\s+|now\s+|also\s+|just\s+)?"

FAKE_ROLE_LINE = "a fake system or developer message"
_INJECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.I))
    for label, pattern in (
        ("an instruction to ignore my previous instructions",
         r"\b(ignore|disregard|forget|override|bypass)\b[^.?!\n]{0,40}\b(previous|prior|above|"
         r"earlier|all|your|the|any)\b[^.?!\n]{0,25}\b(instructions?|rules?|prompts?|"
         r"directions?|guidelines?|context)\b"),
        ("a request to reveal my system prompt",
         r"\b(print|show|reveal|repeat|output|display|dump|leak|tell me|give me|what(?:'s| is| are)"
         r"|share|write out|copy)\b[^.?!\n]{0,30}?\b(?:(your|the tutor'?s|the assistant'?s)\s+"
         r"(?:full\s+|exact\s+|original\s+)?(system\s+prompt|initial\s+prompt|prompt|"
         r"instructions|rules)|your\s+(hidden|initial|original|secret|internal|full)\s+"
         r"(system\s+)?(prompt|instructions)|the\s+(?:(?:hidden|initial|original|secret|"
         # "the full prompt" is as often the learner's own prompt, drafted with the tutor
         r"internal)\s+(?:system\s+)?|full\s+system\s+)(prompt|instructions))\b"),
        ("a request to reveal my system prompt",
         r"\b(print|reveal|dump|repeat|leak)\s+(out\s+)?the\s+system\s+prompt\b"),
        ("a request for the server's API key or other secrets",
         _CLAUSE + r"(print|show|reveal|give|tell|send|output|display|dump|leak|share|expose|"
         r"echo|what(?:'s| is| are))\b(?:\s+me)?[^.?!\n]{0,30}?\b(?:the\s+)?"
         r"(server'?s?|your|lab'?s?|app'?s?|apilab'?s?|tutor'?s?|assistant'?s?)\s+(?:own\s+|real\s+|actual\s+)?"
         r"(?:openai\s+|anthropic\s+|gemini\s+)?(api[\s_-]?keys?|keys?|secrets?|tokens?|"
         r"credentials?|env(?:ironment)?(?:\s+variables?|\s+vars?)?|passwords?|config)\b"),
        ("a request to print secrets from the environment",
         _CLAUSE + r"(print|show|reveal|give|tell|send|output|display|dump|leak|echo|list)\b"
         r"(?:\s+me)?[^.?!\n]{0,20}?\b(OPENAI_API_KEY|ANTHROPIC_API_KEY|GEMINI_API_KEY|GOOGLE_API_KEY|"
         r"os\.environ|(?:all\s+)?(?:the\s+)?(?:server'?s?\s+)?env(?:ironment)?\s+var(?:iable)?s)\b"),
        ("an attempt to give me a new role",
         r"\b(you are now|from now on,? you|act as|pretend (?:to be|you are)|roleplay as|"
         r"developer mode|jailbreak|DAN mode)\b"),
        (FAKE_ROLE_LINE,
         r"(^|\n)\s*(system|developer|assistant)\s*:|<\|?(system|im_start)\|?>|\[system\]"),
    )
)


# Before "act as" / "pretend to be": the learner states a rule for their bot, or describes
# what it (or a user) does, rather than telling the tutor. Bounded.
_RULE_FOR_THEIR_BOT = re.compile(
    r"\b(?:must|mustn'?t|should|shouldn'?t|never|not|doesn'?t|won'?t|can'?t|cannot|"
    r"it|bot|model|assistant|gpt|claude|user|users|they|someone|attacker)\s{1,3}(?:\w+\s{1,3})?$",
    re.I)


@dataclasses.dataclass(frozen=True)
class Injection:
    """Instructions found in a message, and what is left once they are removed."""

    labels: tuple[str, ...]
    remainder: str


def detect_injection(text: str) -> Injection | None:
    """Find instructions aimed at the assistant itself; ``None`` if there are none.

    Questions *about* prompt injection ("how does prompt injection work?") are
    not themselves injections, so the patterns need an imperative aimed at us.
    """
    labels: list[str] = []
    spans: list[tuple[int, int]] = []
    for label, pattern in _INJECTIONS:
        for m in pattern.finditer(text):
            start, end = _sentence_span(text, m.start(), m.end())
            if "secret" in label and _OWN_CODE.search(text[start:end]):
                continue  # "print the key from os.environ in my script - ok?" is a question
            window = text[max(start, m.start() - 40):m.start()]
            if "new role" in label and _RULE_FOR_THEIR_BOT.search(window) and not re.search(
                    r"\byou\b", window, re.I):
                continue  # "it must not pretend to be a lawyer": a rule for their own bot
            if label not in labels:
                labels.append(label)
            spans.append(_sentence_span(text, m.start(), m.end()))
    if not labels:
        return None
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    remainder = text
    for start, end in reversed(merged):
        remainder = remainder[:start] + " " + remainder[end:]
    return Injection(tuple(labels), re.sub(r"\s+", " ", remainder).strip(" .,;:-"))


_OWN_CODE = re.compile(r"\b(my|our|we)\b|\bis (that|it|this) (ok|okay|safe|fine|bad)\b|"
                       r"\b(should|can|could) i\b", re.I)


def _sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a match to its sentence, so the whole injected instruction is dropped."""
    left = max(text.rfind(c, 0, start) for c in ".!?\n")
    right_candidates = [i for i in (text.find(c, end) for c in ".!?\n") if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return left + 1, right


# Words of someone reporting or asking about an attack: who wrote it, where it was found,
# what it did, how to stop it. An instruction inside such a sentence is quoted, not aimed.
_REPORTED = re.compile(
    r"\b(?:injection|inject|attack|attacker|malicious|page says|document says|hidden text|"
    r"what if|what happens|said|says|say|wrote|writes|typed|types|contained|contains|"
    r"included|includes|hidden (?:text|instructions?|in)|an email|a user|users|someone|"
    r"somebody|the page|a page|"
    r"web ?page|a document|the website|a website|a customer|how (?:do|can|could|would|"
    r"should) (?:i|we)|prevent|protect|defend|stop (?:it|this|them)|jailbreak|hack|hacking|"
    r"worked|works on|trick|tricked|bypass(?:ed)?|is (?:this|that|it) (?:an?|called)|"
    r"example of|pasted|pastes|entered|enters|sent|sends|submitted|obeyed|obeys|followed|"
    r"complied|my (?:bot|app|chatbot|assistant|agent|model|users?)|the (?:bot|model|llm|agent))\b",
    re.I)


# The learner asks about a prompt of their own ("is this prompt ok for extracting
# invoices?", "review my system prompt"): a "System:" line under it is that prompt's label.
_OWN_PROMPT = re.compile(
    r"\b(?:this|my|our|the following|the) (?:system |user |developer )?(?:prompt|instructions?)\b"
    r"[^.?!\n]{0,60}\b(?:ok|okay|good|fine|right|correct|better|safe|enough|work|review|check|"
    r"improve|feedback)|\b(?:review|check|improve|rate|critique|look at|feedback on)\b"
    r"[^.?!\n]{0,30}\b(?:prompt|instructions?)\b", re.I)


def asks_about_own_prompt(text: str) -> bool:
    """Whether the message asks for a look at a prompt the learner pasted."""
    return _OWN_PROMPT.search(text[:2000]) is not None


def quotes_injection(text: str) -> bool:
    """The learner is asking *about* injection (quoting or reporting an attack), not attacking."""
    return _REPORTED.search(text) is not None


# A phrase in quotation marks: the opening mark after a space, a bracket or the start (so the
# apostrophe of "can't" opens nothing), the closing one not followed by a letter. Bounded, so
# each opening mark looks at most 300 characters ahead.
_QUOTED = re.compile(r"(?:^|(?<=[\s(\[:,;]))[\"\u201c\u2018'`]([^\"\u201c\u201d\u2018\u2019'`\n]"
                     r"{2,300})[\"\u201d\u2019'`](?![^\W\d_])")


def instructions_only_quoted(text: str) -> bool:
    """Every instruction aimed at an assistant sits inside quotation marks: the learner is
    discussing the phrase ("can't I just block messages containing 'ignore previous
    instructions'?", "does 'act as a senior developer' help?"), not using it on us."""
    quoted = [m.span(1) for m in _QUOTED.finditer(text)]  # in order, never overlapping
    if not quoted:
        return False
    starts = [start for start, _end in quoted]
    found = False
    for _label, pattern in _INJECTIONS:
        for m in pattern.finditer(text):
            found = True
            # The only quote that can hold the match is the last one opening before it.
            i = bisect.bisect_right(starts, m.start()) - 1
            if i < 0 or m.end() > quoted[i][1]:
                return False
    return found


# --- small talk ----------------------------------------------------------------------------

_GREETING = re.compile(r"^\s*(hi|hello|hey|yo|good (morning|afternoon|evening)|greetings|hiya|"
                       r"howdy)\b[\s!.,]*(there|tutor|assistant)?[\s!.,]*$", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|ty|cheers|great|cool|nice|awesome|got it|ok|"
                     r"okay|perfect|makes sense|i see|understood|bye|goodbye|see you|cya|"
                     r"lol|lmao|haha+|hah|heh|wow|oh|ah|hmm+|k|kk|"
                     r"good night|that'?s all)\b[\w\s!.,]{0,30}$", re.I)
# "ok give me the plan", "cool now do it for mini", "thanks, what about gemini": an
# acknowledgement that goes on to ask for something is a request, not small talk.
_ASKS_AFTER = re.compile(r"\b(?:give|show|write|draft|redo|explain|tell\s{1,3}me|list|sum\s{1,3}"
                         r"(?:it\s{1,3})?up|summari[sz]e|compare|calculate|what|how|why|which|"
                         r"where|(?:can|could|would)\s{1,3}(?:you|u))\b", re.I)
_ABOUT = re.compile(
    r"\b(who|what) are you\b|\bwho (made|built|created|wrote|trained) you\b|"
    r"\bare you (an? )?(ai|bot|human|real|llm|model|gpt|chatgpt|claude|"
    r"offline)\b|\bwhat model (are|do) you\b|\bAPILAB_BACKEND\b|\boffline tutor\b|"
    r"\bhow do you work\b|\b(switch|turn)\s+on\b.{0,20}\b(model|llm|backend)\b|"
    r"\b(use|enable|connect|switch to)\s+(a\s+)?(real|proper|actual|live)\s+(model|ai|llm)\b|"
    r"\bwhy (are|is) (you|the tutor|the assistant) offline\b|"
    r"\b(this tutor|the tutor|the assistant|you)\b.{0,30}\b(backend|real model)\b", re.I)
_HELP = re.compile(r"^\s*(help|hint|\?+|what (can|should) i (ask|do)( next)?|what next|"
                   r"i'?m stuck|where do i start|how does this lab work|what is this lab( about)?"
                   r"|what do i need to do|what can you do|what can you help (me )?with|"
                   r"what do you know( about)?|what topics( are there)?|how do i (finish|complete) "
                   r"(this|the) lab|menu|options)\s*[?!.]*\s*$", re.I)


_CREATIVE = re.compile(
    r"^\s*(?:can you |could you |please |pls )*(?:write|compose|generate|make|create|tell|sing|"
    r"draw|give)\s+(?:me\s+|us\s+)?(?:a|an|some|one)\s+(?:\w+\s+){0,2}?(?:poem|song|story|"
    r"joke|haiku|limerick|essay|rap|riddle|recipe|novel|picture|drawing)s?\b", re.I)


_CONTINUE = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok(ay)?|please|go on|go ahead|continue|more|tell me more|"
    r"why\??|how\??|example\??|an example|show me|show me how|and\??|then\??|what else|"
    r"next|and then|i don'?t know|no idea|not sure|dunno|idk)"
    r"([\s,]+(please|pls|then|sure|tell me|show me|go on|go ahead|why|how|an example|yes|more))*"
    r"[\s!.?]*$", re.I)


# Asking to have the last answer again, or more simply. Anchored and bounded.
_AGAIN = re.compile(
    r"^\s*(?:(?:sorry|hmm+|um+|ok(?:ay)?|wait)[,.!]?\s+){0,2}(?:(?:can|could) you\s+)?"
    r"(?:(?:explain|say|put)(?: (?:that|it|this))?(?: again| more simply| simpler| in "
    r"(?:really |more )?simpler? (?:terms|words|language)| in plain (?:english|words)| like "
    r"i'?m (?:5|five|10|ten|12|twelve|a kid|a child|a beginner|new))"
    r"|i (?:still )?(?:don'?t|do not) (?:understand|get it)"
    r"|(?:i'?m|im) (?:lost|confused)|(?:in )?simpler (?:terms|words)|eli5|what do you mean"
    r"|huh|i didn'?t get (?:that|it)|(?:make it|dumb it down|simpler) ?(?:simpler|please)?)"
    # Only filler after it: "i don't understand how streaming works" is a question.
    r"(?:[\s,?.!]+(?:please|pls|plz|sorry|again|at all|lol|tbh|though|tho|by that|but simpler|"
    r"simpler|more simply|like i'?m (?:5|five|10|ten|12|twelve|a kid|a child|a beginner|new)|"
    r"for a beginner|i'?m (?:a beginner|new to this|new))){0,3}"
    r"[\s?!.]*$", re.I)


def asks_again(text: str) -> bool:
    """"explain that again", "i don't understand", "in simpler terms?"."""
    return len(text) <= 120 and _AGAIN.match(text) is not None


_EXAMPLE_ASK = re.compile(r"^\s*(?:an? |some )?(?:example|code|sample|snippet)s?(?: code)?\s*"
                          r"(?:pls|please)?\s*\?*\s*$|^\s*(?:show me|give me an example)"
                          r"\s*\?*\s*$", re.I)


def asks_example(text: str) -> bool:
    """A bare "example?" / "code pls" / "show me": an example of what was just said."""
    return len(text) <= 40 and _EXAMPLE_ASK.match(text) is not None


def detect_continuation(text: str) -> bool:
    """"yes", "tell me more", "why?", "idk": the learner follows the tutor's last question."""
    return bool(_CONTINUE.match(text))


# A short message that leans on the one before: "what about anthropic?", "and in node?",
# "can you show an example?", "does it work with azure?". Anchored, no nested repeats.
_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|plus|but|ok(?:ay)?,?\s+(?:and|but|what|how))\b"
    r"|^\s*(?:(?:hmm+|um+|uh+|so|well|ok(?:ay)?|right),?\s+)?(?:(?:what|how) about|what if)\b"
    r"|^\s*same (?:for|with|in|on)\b"
    r"|^\s*(?:in|for|with|using|on|via) [\w.+#/-]+(?: [\w.+#/-]+)?\s*\??\s*$"
    r"|^\s*(?:can|could|would) you (?:show|give|write)(?: me| us)? (?:an? |some |the )?"
    r"(?:example|code|sample|snippet)"
    r"|^\s*(?:show|give) me (?:an? |some |the )?(?:example|code|sample|snippet)"
    r"|^\s*(?:an? |some )?(?:example|code|sample|snippet)s?(?: code)?\s*(?:pls|please)?"
    r"\s*\?*\s*$", re.I)
_BACK_REFERENCE = re.compile(r"\b(?:it|that|this|those|them|these|there)\b", re.I)
FOLLOW_UP_WORDS = 10
# "the app is anonymous. what then", "ok, and then what?": asks on from the answer given.
_WHAT_THEN = re.compile(r"\b(?:what|how|which)\s{1,3}(?:then|instead)\s{0,3}\?*\s{0,3}$|"
                        r"\bthen\s{1,3}what\s{0,3}\?*\s{0,3}$", re.I)
# A question opened without its "?" ("how do i authenticate them then").
_ASKS = re.compile(r"^\W{0,3}(?:(?:ok(?:ay)?|so|and|but|then)[\s,.]{1,3}){0,3}(?:how|what|why|"
                   r"which|where|when|can|could|should|do|does|is|are)\b", re.I)
# "how do I send it to the browser as it comes in?": a question about "it" this short leans
# on the one before.
BACK_REFERENCE_WORDS = 12
# "so what should the system prompt say about it?": the question ends on what came before.
_ENDS_ON_REFERENCE = re.compile(
    r"\b(?:about|for|with|to|of|against|on|from|in) (?:it|that|this|them|those)\s*\?+\s*$", re.I)


# "why?" / "how?" alone: about the answer just given, unless the tutor's suggested question
# asks exactly that ("Why revoke before investigating?" -> "why?").
_BARE_ASK = re.compile(
    r"^\s*(?:but |so |and )?(why|how)(?: (?:so|come|is that|exactly))?\s*\?*\s*$", re.I)


def bare_ask(text: str) -> str | None:
    """``why`` or ``how`` when the message is only that word (and a "?")."""
    match = _BARE_ASK.match(text)
    return match.group(1).lower() if match else None


def detect_follow_up(text: str) -> bool:
    """A short message that only makes sense with the learner's previous question."""
    words = text.split()
    if not words:
        return False
    if len(words) <= BACK_REFERENCE_WORDS and _WHAT_THEN.search(text):
        return True
    if len(words) > FOLLOW_UP_WORDS:
        return False
    return bool(_FOLLOW_UP.match(text)) or (
        len(words) <= 7 and bool(_BACK_REFERENCE.search(text)) and "?" in text) or bool(
        _ENDS_ON_REFERENCE.search(text))


def leans_on_reference(text: str) -> bool:
    """A question up to ``BACK_REFERENCE_WORDS`` long about "it"/"them" ("how do i send it
    to the browser as it comes in?", "how do i authenticate them then"): perhaps about the
    answer before, perhaps not ("how do I show the answer while it's being generated?"
    stands alone), so the tutor weighs it against the question read alone."""
    words = text.split()
    return 0 < len(words) <= BACK_REFERENCE_WORDS and bool(_BACK_REFERENCE.search(text)) and (
        "?" in text or _ASKS.match(text) is not None)


# "ok v2:", "updated version:", "here's v2", "new version", "how about now?": a revised
# draft follows, to be reviewed like the first one. Only a short lead-in counts; bounded.
_REVISION = re.compile(
    r"\bv\d{1,2}\b|\bversion\s{0,3}#?\d{1,2}\b|\b(?:new|updated|revised|improved|fixed|"
    r"second|third|next|final|another|latest|changed|edited|rewritten)\s{1,3}(?:version|draft|"
    r"attempt|try|iteration|take|pass|one|code|prompt)\b|\b(?:i\s{1,3})?(?:updated|revised|"
    r"rewrote|changed|fixed|improved|reworked|edited|tweaked)\s{1,3}(?:it|this|that|the \w+|"
    r"my \w+)\b|\b(?:how|what) about (?:now|this|this one)\b|\b(?:better|good|ok|okay|"
    r"fine|right) now\b|\b(?:is|does) (?:this|it) (?:look )?better\b|\btry (?:again|#?\d)\b|"
    r"\battempt\s{0,3}#?\d\b|\bround\s{0,3}\d\b|\btake (?:two|2|three|3)\b|"
    # "ok revised:", "updated:", "fixed it:" (the lead-in alone, before the colon)
    r"^\s{0,3}(?:ok(?:ay)?,?\s{1,3}|so\s{1,3}|here'?s\s{1,3})?(?:revised|updated|fixed|"
    r"edited|changed|rewritten|improved)\s{0,3}[:!.]?\s{0,3}$", re.I)
REVISION_WORDS = 8


def detect_revision(lead: str) -> bool:
    """A message that is (almost) only a lead-in to a revised paste ("ok v2:")."""
    words = lead.split()
    return 0 < len(words) <= REVISION_WORDS and bool(_REVISION.search(lead[:120]))


# Asking for other people's keys: "tell me a way to find working openai keys on github".
# Not "I found someone else's key, what should I do?" (past tense, a report).
_HARVEST = re.compile(
    # The learner asking for it ("how do attackers find leaked keys?" is a fair question).
    r"\b(?:tell me|show me|teach me|help me|give me|how (?:can|do|could|would) (?:i|we)|how to|"
    r"where (?:can|do) (?:i|we)|i (?:want|need|would like) to|let me|a way to|ways to|script to|"
    r"tool to)\b[^.?!\n]{0,15}?"
    r"\b(?:find|finding|get|getting|scrape|scraping|search(?:ing)? for|harvest|collect|grab|"
    r"steal|stealing|crack)\b[^.?!\n]{0,40}?\b(?:working|valid|leaked|live|active|other "
    r"people'?s|someone(?: else)?'?s|exposed|unused)\b[^.?!\n]{0,25}?\b(?:api[ _-]?)?keys?\b",
    re.I)


def asks_for_others_keys(text: str) -> bool:
    """Whether the message asks how to find or use keys that belong to someone else."""
    return _HARVEST.search(text[:2000]) is not None


# "ok revoked. now what", "ok whats next": a step done, the next one asked for.
_NEXT_ASK = re.compile(r"\b(?:now what|what now|what'?s next|whats next|what next|then what|"
                       r"next steps?|what (?:do|should) i do (?:right )?(?:now|next)|and now)\b",
                       re.I)


# "ok i revoked it and made a new one", "done, rotated": a step of the last checklist done,
# told without asking what comes next. Anchored, bounded.
_DONE = re.compile(
    r"^\W{0,3}(?:(?:ok(?:ay)?|done|alright|right|so)[\s,.!]{1,3})?"
    r"(?:(?:i|we)(?:'ve| have)?\s{1,2})?"
    r"(?:just\s{1,2}|already\s{1,2}|now\s{1,2})?(?:revoked|rotated|deleted|removed|made|created|"
    r"generated|set|added|changed|updated|installed|enabled|turned on|moved|did)\b", re.I)


def reports_done(text: str) -> bool:
    """Whether a short message says a step is done ("ok i revoked it and made a new one")."""
    return len(text) <= 120 and "?" not in text and _DONE.match(text) is not None


# "still getting the same error", "I have it enabled. It has been working up until
# yesterday.", "tried that, didn't help": the answer given did not settle it. Bounded runs,
# no nested repeats.
_STILL_FAILING = re.compile(
    r"\bstill\b[^.?!\n]{0,40}?\b(?:errors?|fail\w*|same|happen\w*|getting|get|not|"
    r"doesn'?t|won'?t|broken|crash\w*|empty|null|none)\b"
    # "it STILL says insufficient_quota", "still returns 401"
    r"|\bstill\s{1,3}(?:says|say|shows|show|returns|return|gives|give|throws|throw)\b"
    r"|\b(?:doesn'?t|does not|didn'?t|did not|won'?t|isn'?t|is not|wasn'?t)\s{1,3}(?:work|help|"
    r"fix|change|solve)\w*|\bnot\s{1,3}(?:working|helping|fixed|solved)\b"
    r"|\bno\s{1,3}(?:luck|change|difference)\b"
    r"|\bsame\s{1,3}(?:error|issue|problem|result|thing|message|response)\b"
    r"|\b(?:it|this|that|everything)(?:'s|\s{1,3}has|\s{1,3}had|\s{1,3}was)?(?:\s{1,3}been)?"
    r"\s{1,3}work(?:ed|ing)\s{1,3}(?:fine|before|until|till|up|yesterday|last)\b"
    r"|\b(?:i|we)(?:'ve|\s{1,3}have|\s{1,3}had)?\s{1,3}(?:already\s{1,3}|definitely\s{1,3})?"
    r"(?:have\s{1,3}(?:it|that|this|them)\s{1,3}(?:enabled|set|on|installed|turned on)|"
    r"tried\s{1,3}(?:that|this|it|both|everything|all)|checked|verified|confirmed)\b", re.I)
STILL_FAILING_CHARS = 300


# "it worked on my laptop but now on render.com the key is undefined": a new place, so a new
# question (deploy settings), not a report on the answer given.
_NEW_PLACE = re.compile(r"\b(?:now\s{1,3})?(?:on|in|at)\s{1,3}(?:the\s{1,3})?"
                        r"(?:render|vercel|netlify|heroku|railway|fly(?:\.io)?|docker|kubernetes|k8s|server|production|"
                        r"prod|staging|ci|github actions|lambda|cloud run|azure|aws|gcp|vps|"
                        r"deploy\w*)\b", re.I)


def reports_still_failing(text: str) -> bool:
    """Whether a short message says the answer given did not settle it ("still the same
    error", "I have it enabled, it worked until yesterday"), not that it fails somewhere new."""
    return (len(text) <= STILL_FAILING_CHARS and _STILL_FAILING.search(text) is not None
            and _NEW_PLACE.search(text) is None)


def asks_next(text: str) -> bool:
    """Whether a short message asks for the next step ("ok revoked. now what")."""
    return len(text) <= 160 and _NEXT_ASK.search(text) is not None


def detect_small_talk(text: str) -> str | None:
    """``greeting``, ``thanks``, ``about`` (the tutor), ``help``, ``creative`` or ``None``."""
    if _CREATIVE.match(text):
        return "creative"
    if _HELP.match(text):
        return "help"
    if _GREETING.match(text):
        return "greeting"
    if (_THANKS.match(text) and not asks_next(text)
            and not _ASKS_AFTER.search(text, _THANKS.match(text).end(1))):
        return "thanks"
    if _about_the_tutor(text):
        return "about"
    return None


# Words that make "what model are you" a quote of what the learner asked a model, not a
# question to the tutor ("I asked the API what model are you and it said gpt-3.5").
_QUOTED_TO_A_MODEL = re.compile(r"\b(?:ask(?:ed|ing|s)?|prompt(?:ed|ing|s)?|says?|said|told|tells?|"
                       r"typed?|send(?:ing|s)?|sent|repl(?:y|ies|ied)|answer(?:s|ed)?|"
                       r"respon(?:d|ds|ded|se)|question)\b|[\"'\u201c\u201d\u2018\u2019`]", re.I)


def _about_the_tutor(text: str) -> bool:
    """A question to the tutor about itself, not one quoted from a chat with a model."""
    match = _ABOUT.search(text)
    if match is None:
        return False
    before = text[max(0, match.start() - 60):match.start()]
    return not _QUOTED_TO_A_MODEL.search(before)


# --- numbers --------------------------------------------------------------------------

_WORD_NUMS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "a": 1, "an": 1, "a single": 1, "twelve": 12,
              "half a": 0.5}


# --- model names and price dates ---------------------------------------------------

_MODEL = re.compile(
    r"\b((?:gpt|chatgpt|o\d|claude|gemini|text-embedding|llama|mistral|deepseek)"
    r"(?:[\s-]?[\w.]+){0,6})", re.I)
_MODEL_STOP = {"input", "output", "tokens", "token", "and", "for", "on", "with", "at", "in",
               "cost", "costs", "price", "model", "models", "vs", "or", "to", "of", "per",
               "would", "will", "is", "if", "i", "the", "a",
               # Words that follow a model name in prose ("gpt-3.5-turbo API", "gpt-4o but").
               "api", "apis", "endpoint", "sdk", "key", "keys", "call", "calls", "request",
               "requests", "response", "responses", "it", "but", "when", "that", "this",
               "was", "are", "has", "have", "does", "do", "not", "my", "we", "you", "so",
               "from", "by", "as", "be", "can", "instead", "than", "which"}


# Words that occur in model names besides those of the price table's ids.
_MODEL_WORDS = frozenset({"preview", "vision", "chat", "codex", "realtime", "audio", "search",
                          "exp", "experimental", "thinking", "reasoner", "coder", "instruct",
                          "davinci", "babbage", "curie", "omni", "ultra", "nemo", "medium",
                          "max", "plus", "embed", "image", "whisper", "tts", "latest", "o"})


@functools.cache
def _model_vocabulary() -> frozenset[str]:
    from apilab.pricing.prices import known_names

    return _MODEL_WORDS | {part for name in known_names() for part in name.lower().split("-")}


def _model_word(word: str) -> bool:
    """Whether a word can continue a model name: a version ("4o", "3.5", "0125"), or a word
    model names use ("turbo", "mini", "sonnet"); "gpt-3.5-turbo API" ends before "API"."""
    return any(c.isdigit() for c in word) or all(
        part in _model_vocabulary() for part in word.split("-") if part)


# "claude haiku 3.5", "sonnet 3.7": a version before 4 came first in Claude's ids
# (claude-3-5-haiku); written after the family with a space, it was read as "gpt-3.5".
_CLAUDE_FAMILY_FIRST = re.compile(r"\b(?:claude\s{1,2})?(?P<family>haiku|sonnet|opus)\s{1,2}"
                                  r"(?P<major>[1-3])(?:\.(?P<minor>\d))?(?![\w.])", re.I)


def _claude_id(m: re.Match[str]) -> str:
    minor = f"{m['minor']}-" if m["minor"] else ""
    return f"claude-{m['major']}-{minor}{m['family'].lower()}"


def model_candidates(text: str) -> list[str]:
    """Model-looking names in a message, longest form first ("gpt-4o mini" -> gpt-4o-mini)."""
    out: list[str] = []
    text = _CLAUDE_FAMILY_FIRST.sub(_claude_id, text)
    # Learner shorthand: "4o mini", "gpt4o", "haiku", "sonnet".
    # Not after "gpt " ("gpt 3.5 turbo" is already a name, not "gpt gpt-3.5 turbo").
    text = re.sub(r"(?<![\w.-])(?<!gpt )(?<!claude )(?<!gemini )(?<!haiku )(?<!sonnet )(?<!opus )"
                  r"(4o|4\.1|3\.5)(?=[\s-]|$|\b)",
                  r"gpt-\1", text, flags=re.I)
    text = re.sub(r"\bgpt(?=\d)", "gpt-", text, flags=re.I)
    # Not inside a name already ("claude 3.5 sonnet", "claude-3-5-haiku").
    text = re.sub(r"(?<!claude[\s-])(?<!\d[\s-])\b(haiku|sonnet|opus)\b", r"claude-\1", text,
                  flags=re.I)
    pos = 0
    while (m := _MODEL.search(text, pos)) is not None:
        words = re.split(r"[\s]+", m.group(1).strip())
        kept: list[str] = []
        for i, w in enumerate(words):
            word = w.lower().strip(".,?!:;)(")
            if word in _MODEL_STOP or (i and not _model_word(word)):
                break
            kept.append(w.strip(".,?!:;)("))
        # A name cut short ("claude haiku cheaper than gpt-4o-mini") may have swallowed the
        # next one: look again just after this one's start.
        pos = m.end() if len(kept) == len(words) else m.start(1) + 1
        if not kept:
            continue
        for n in range(len(kept), 0, -1):
            name = "-".join(kept[:n]).lower()
            if name not in out:
                out.append(name)
    return out


_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
_PART_OF_YEAR = {"early": 2, "mid": 6, "middle of": 6, "late": 11, "end of": 12}


def price_date(text: str) -> str | None:
    """The date a cost question asks about: "2024-06-01", "in June 2024", "mid-2024"."""
    low = text.lower()
    if m := re.search(r"\b(20\d\d)-(\d\d)(?:-(\d\d))?\b", low):
        return f"{m[1]}-{m[2]}-{m[3] or '15'}"
    months = "|".join(_MONTHS)
    if m := re.search(rf"\b({months}|{'|'.join(k[:3] for k in _MONTHS)})\.?\s+(20\d\d)\b",
                      low):
        month = next(v for k, v in _MONTHS.items() if k.startswith(m[1]))
        return f"{m[2]}-{month:02d}-15"
    if m := re.search(r"\b(early|mid|middle of|late|end of)[\s-]+(20\d\d)\b", low):
        return f"{m[2]}-{_PART_OF_YEAR[m[1]]:02d}-15"
    return None


# --- token counting --------------------------------------------------------------------


_USAGE_ASK = re.compile(r"\s{0,3}(?:(?:i|we|it|you|my \w{1,20}|the \w{1,20}|that|this)\s{1,3})?"
                        r"(?:have\s{1,3}|had\s{1,3}|did\s{1,3}|do\s{1,3}|does\s{1,3})?"
                        r"(?:used|use|uses|using|spent|spend|consumed?|were used|was used|"
                        r"got used|charged|billed)\b", re.I)


def detect_token_count(text: str) -> tuple[str, str | None] | None:
    """``(kind, payload)``: ("text", quoted text) or ("words", "500") for token-count asks."""
    # Asked for in so many words: "tokens in the output(s)" quoted from the pricing docs
    # is not a request to count the first quoted phrase of the message.
    ask = re.search(r"\bhow many tokens\b|\bcount (?:the )?tokens\b|\btoken count\b|"
                    r"\bwhat(?:'s| is) the (?:number of )?tokens?\b", text, re.I)
    if ask is None or _USAGE_ASK.match(text, ask.end()):
        return None  # "how many tokens I used": the usage a response reports, not a count
    # The text to count follows the ask ("how many tokens is 'hello world'?"); a quote
    # earlier in the message (a title's "'ChatCompletion' object ...") is not it.
    quoted = re.search(r"[\"“'`]{1,3}(.+?)[\"”'`]{1,3}", text[ask.start():ask.end() + 600], re.S)
    if quoted and len(quoted.group(1)) >= 2:
        return "text", quoted.group(1)
    colon = re.search(r"(?:tokens?(?: in| is| for)?(?: this)?|text)\s*:\s*(.+)$", text, re.I | re.S)
    if colon and len(colon.group(1).strip()) >= 2:
        return "text", colon.group(1).strip()
    words = re.search(r"(\d[\d,]*)\s*(?:-\s*)?(?:english\s+)?words?\b", text, re.I)
    if words:
        return "words", words.group(1).replace(",", "")
    return None


# --- backoff -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BackoffRequest:
    attempts: int
    base: float
    cap: float
    jitter: str


def _seconds(raw: str, unit: str | None) -> float:
    value = float(raw)
    if unit and unit.lower().startswith(("ms", "milli")):
        return value / 1000
    if unit and unit.lower().startswith("min"):
        return value * 60
    return value


_UNIT = r"\s*(ms|milliseconds?|s|sec|secs|seconds?|minutes?|mins?)?"


def detect_backoff(text: str) -> BackoffRequest | None:
    """A request for a retry schedule, with whatever numbers the learner gave."""
    # Either order: "6 retries starting at 2 s" and "start at 2 seconds and 6 retries".
    if not (re.search(r"\bback[\s-]?off\b|\bretry schedule\b", text, re.I) or (
            re.search(r"\bretries\b", text, re.I)
            and re.search(r"\b(?:cap|start|starting|base|wait)\b", text, re.I)) or (
            re.search(r"\bschedule\b", text, re.I) and re.search(r"\bretr", text, re.I))):
        return None
    # "Failed after 3 attempts" reports what happened; a schedule is asked for in words.
    if not re.search(r"\b(schedule|table|give me|show me|make|generate|compute|calculate|"
                     r"list|what are the waits|how long (?:will|would|should|do)|wait times|"
                     r"delays)\b", text, re.I) and not (
            re.search(r"\d+\s*(?:retries|attempts|tries)\b", text, re.I)
            and re.search(r"\b(?:start(?:ing)?|base|initial|cap|capped)\b", text, re.I)):
        return None
    attempts, base, cap, jitter = 5, 1.0, 30.0, "full"
    m = re.search(r"(\d+)\s*(?:retries|retry|attempts?|tries|times)\b", text, re.I)
    if m:
        attempts = max(1, min(20, int(m.group(1))))
    else:
        for word, value in _WORD_NUMS.items():
            if re.search(rf"\b{word}\s+(retries|attempts|tries)\b", text, re.I):
                attempts = int(value)
    m = re.search(r"(?:start(?:ing)?(?: at| with| from)?|base(?: of| delay(?: of)?)?|initial"
                  r"(?: delay| wait)?(?: of)?|first wait(?: of)?)\s*(\d+(?:\.\d+)?)" + _UNIT,
                  text, re.I) or re.search(
        r"(\d+(?:\.\d+)?)" + _UNIT + r"\s*(?:base|initial|start|first wait)\b", text, re.I)
    if m:
        base = _seconds(m.group(1), m.group(2))
    # "cap 10s" / "capped at 10 s" first, then "a 30 second cap".
    m = re.search(
        r"(?:cap(?:ped)?|max(?:imum)?|ceiling|limit|up to|no more than)(?:\s+(?:of|at|wait))?"
        r"\s*(\d+(?:\.\d+)?)" + _UNIT, text, re.I) or re.search(
        r"(\d+(?:\.\d+)?)" + _UNIT + r"\s*(?:cap|max(?:imum)?|ceiling|limit)\b", text, re.I)
    if m:
        cap = _seconds(m.group(1), m.group(2))
    if re.search(r"\bno jitter\b|\bwithout jitter\b", text, re.I):
        jitter = "none"
    elif re.search(r"\bequal jitter\b", text, re.I):
        jitter = "equal"
    base = min(max(base, 0.001), 3600.0)
    cap = min(max(cap, base), 86400.0)
    return BackoffRequest(attempts, base, cap, jitter)
