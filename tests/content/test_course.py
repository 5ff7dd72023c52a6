"""The whole course loads, and its content meets the bar the offline tutor relies on.

Course-wide rules (every lab): enough answer cards, every objective covered by several
cards, several phrasings per card, short answers with a follow-up question, card
sources that exist in the lab's lesson, lessons and labs pointing at each other,
dated sources, runnable-looking Python, no key-shaped literals.

Lessons 1-2 and their cards (api-basics, key-security) also pin the key ideas the
public sample questions must get, and the errata the course notes need fixed.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

import pytest

from apilab.content import LAB_IDS, load_course
from apilab.content.models import Card, Course, Lesson

MIN_CARDS_PER_LAB = 25
MIN_CARDS_PER_OBJECTIVE = 3
MIN_PHRASINGS = 3
ANSWER_WORDS = (60, 200)
LESSON_PROSE_WORDS = (1300, 2800)  # "about 1,500-2,500 words", code blocks excluded
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# Same shapes the repository's commit hook greps for: real-looking provider keys.
KEY_SHAPED = re.compile(
    r"sk-(proj|svcacct|admin|ant-api03|ant-admin01)-[A-Za-z0-9_-]{20,}"
    r"|AIza[0-9A-Za-z_-]{35}|AKIA[0-9A-Z]{16}"
)


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", " ", text.lower()).strip()


def _plain(markdown: str) -> str:
    """Markdown without emphasis/code markers, lower-cased, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"[*`]", "", markdown)).lower()


def _prose(markdown: str) -> str:
    return re.sub(r"```.*?```", "", markdown, flags=re.S)


def _section(body: str, heading: str) -> str:
    """The text of one '## ' section of a lesson."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", body, re.M | re.S)
    assert match, f"lesson has no section '## {heading}'"
    return match.group(1)


def _card_for(course: Course, lab_id: str, question: str) -> Card:
    wanted = _norm(question)
    for card in course.cards_for(lab_id):
        if any(_norm(q) == wanted for q in card.questions):
            return card
    raise AssertionError(f"no {lab_id} card lists the question {question!r}")


# --- structure, every lab -------------------------------------------------------------------


def test_course_has_the_four_labs_and_four_lessons(course: Course) -> None:
    assert tuple(lab.id for lab in course.labs) == LAB_IDS
    assert [lesson.number for lesson in course.lessons] == [1, 2, 3, 4]


def test_lessons_and_labs_point_at_each_other(course: Course) -> None:
    for lab in course.labs:
        assert course.lesson_for_lab(lab.id).lab == lab.id
    for lesson in course.lessons:
        assert course.lab(lesson.lab).lesson == lesson.id


def test_lesson_files_are_named_after_number_and_id(course: Course) -> None:
    lessons_dir = resources.files("apilab.content") / "course" / "lessons"
    names = sorted(p.name for p in lessons_dir.iterdir() if p.name.endswith(".md"))
    expected = sorted(f"{lesson.number:02d}-{lesson.id}.md" for lesson in course.lessons)
    assert names == expected


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_each_lab_has_enough_cards(course: Course, lab_id: str) -> None:
    assert len(course.cards_for(lab_id)) >= MIN_CARDS_PER_LAB


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_every_objective_is_tagged_by_several_cards(course: Course, lab_id: str) -> None:
    cards = course.cards_for(lab_id)
    thin = {
        obj.id: n
        for obj in course.lab(lab_id).objectives
        if (n := sum(obj.id in card.objectives for card in cards)) < MIN_CARDS_PER_OBJECTIVE
    }
    assert not thin, f"objectives with fewer than {MIN_CARDS_PER_OBJECTIVE} cards: {thin}"


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_every_card_has_several_phrasings(course: Course, lab_id: str) -> None:
    few = [c.id for c in course.cards_for(lab_id) if len(set(map(_norm, c.questions))) < 3]
    assert not few, f"cards with fewer than {MIN_PHRASINGS} distinct phrasings: {few}"


def test_a_cards_first_phrasing_is_written_out(course: Course) -> None:
    """The tutor shows a card's first phrasing to the learner ("I took your question to be:
    ..."), so chat spellings and typos kept for retrieval go further down the list."""
    chat = re.compile(r"\b(?:wat|wats|wut|pls|plz|u|ur|y)\b|injecton", re.I)
    sloppy = [c.id for c in course.cards if chat.search(c.questions[0])]
    assert not sloppy, sloppy


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_card_answers_are_short_and_end_with_a_follow_up(course: Course, lab_id: str) -> None:
    low, high = ANSWER_WORDS
    for card in course.cards_for(lab_id):
        words = len(card.answer.split())
        assert low <= words <= high, f"{card.id}: answer has {words} words"
        assert card.follow_up.strip().endswith("?"), f"{card.id}: follow_up is not a question"


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_card_sources_exist_in_the_labs_lesson(course: Course, lab_id: str) -> None:
    known = {source.id for source in course.lesson_for_lab(lab_id).sources}
    for card in course.cards_for(lab_id):
        assert set(card.sources) <= known, f"{card.id}: unknown sources {set(card.sources) - known}"


def test_source_ids_are_unique_across_lessons(course: Course) -> None:
    ids = [source.id for lesson in course.lessons for source in lesson.sources]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"source ids used by more than one lesson: {dupes}"


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_every_starter_question_has_a_card(course: Course, lab_id: str) -> None:
    for question in course.lab(lab_id).starter_questions:
        _card_for(course, lab_id, question)


def test_lessons_carry_dated_sources(course: Course) -> None:
    for lesson in course.lessons:
        assert len(lesson.sources) >= 3, f"{lesson.id}: too few sources"
        dated = [s for s in lesson.sources if s.date]
        assert len(dated) >= 2, f"{lesson.id}: its dated claims need dated sources"
        for source in dated:
            assert DATE_RE.match(source.date or ""), f"{lesson.id}/{source.id}: {source.date!r}"


@pytest.mark.parametrize("lesson_id", ["calling-ai-apis", "keeping-keys-safe"])
def test_lessons_one_and_two_date_every_source(course: Course, lesson_id: str) -> None:
    undated = [s.id for s in course.lesson(lesson_id).sources if not s.date]
    assert not undated


def test_lessons_have_summary_and_lab_sections_and_a_sensible_length(course: Course) -> None:
    low, high = LESSON_PROSE_WORDS
    for lesson in course.lessons:
        assert _section(lesson.body, "Summary").strip(), f"{lesson.id}: empty summary"
        assert _section(lesson.body, "Try it in the lab").strip(), f"{lesson.id}: empty lab section"
        words = len(_prose(lesson.body).split())
        assert low <= words <= high, f"{lesson.id}: {words} words of prose"


def test_lesson_python_examples_are_valid_python(course: Course) -> None:
    for lesson in course.lessons:
        for block in re.findall(r"```python\n(.*?)```", lesson.body, re.S):
            ast.parse(block)  # raises SyntaxError naming the line


def test_no_content_file_holds_a_key_shaped_literal() -> None:
    root = resources.files("apilab.content") / "course"
    files = [root / "labs.yaml"]
    for sub in ("lessons", "cards"):
        files.extend(p for p in (root / sub).iterdir() if p.name.endswith((".md", ".yaml")))
    for path in files:
        hits = KEY_SHAPED.findall(path.read_text(encoding="utf-8"))
        assert not hits, f"{path.name} contains {len(hits)} key-shaped literal(s)"


# --- lesson 1 and lab api-basics ------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson1(course: Course) -> Lesson:
    return course.lesson("calling-ai-apis")


@pytest.fixture(scope="module")
def lesson2(course: Course) -> Lesson:
    return course.lesson("keeping-keys-safe")


def test_lesson1_covers_the_wire_details(lesson1: Lesson) -> None:
    text = _plain(lesson1.body)
    for idea in ("authorization: bearer", "choices[0].message.content", "finish_reason",
                 "usage", "stateless", "context window", "data: [done]", "event:",
                 "message_stop", "retry-after", "insufficient_quota", "timeout"):
        assert idea in text, idea
    for code in ("400", "401", "403", "404", "429", "500", "503", "529"):
        assert f"| {code}" in lesson1.body, f"status table lacks {code}"


def test_lesson1_examples_use_the_sandbox_and_the_environment(lesson1: Lesson) -> None:
    blocks = re.findall(r"```python\n(.*?)```", lesson1.body, re.S)
    assert any("http://127.0.0.1:8000/sandbox/v1" in b and "from openai import" in b
               for b in blocks)
    assert any("import httpx" in b and "httpx.stream" in b for b in blocks)
    for block in blocks:
        if "api_key=" in block:
            assert "os.environ" in block


def test_lesson1_marks_unverified_anecdotes_as_reported(lesson1: Lesson) -> None:
    for paragraph in re.split(r"\n\s*\n", lesson1.body):
        if "Snap" in paragraph or "Copilot" in paragraph:
            assert "reported" in paragraph.lower(), paragraph[:80]


API_BASICS_SAMPLES = [
    ("What goes in the Authorization header?", [["bearer"], ["environment", "os.environ"]]),
    ("Why does my chatbot forget what I said two messages ago?",
     [["stateless"], ["resend"], ["messages"], ["context window"]]),
    ("my response came back with finish_reason: length — what happened?",
     [["max_tokens"], ["truncated"], ["raise max_tokens"], ["shorter"], ["continue"]]),
    ("what's the difference between a 429 and a 503?",
     [["rate limit"], ["retry-after"], ["overloaded"], ["backoff", "back off"],
      ["insufficient_quota"]]),
    ("How do I show the answer while it's being generated?",
     [["stream=true"], ["server-sent events", "sse"], ["delta"]]),
]

KEY_SECURITY_SAMPLES = [
    ("Where should I keep my API key in a Python app?",
     [["environment variable"], [".env"], ["gitignore"], ["secret manager"], ["os.environ"]]),
    ("I just pushed my .env file to a public GitHub repo. What do I do first?",
     [["revoke the key first"], ["audit"], ["rotate"], ["verify"], ["not enough"]]),
    ("What is a project-scoped key and why would I want one?",
     [["specific models"], ["spending cap"], ["revocable on its own"], ["least privilege"],
      ["blast radius"]]),
    ("how do I stop keys from being committed in the first place",
     [[".gitignore"], ["pre-commit"], ["ci scanning"], ["push protection"]]),
]


@pytest.mark.parametrize(
    ("lab_id", "question", "ideas"),
    [("api-basics", q, i) for q, i in API_BASICS_SAMPLES]
    + [("key-security", q, i) for q, i in KEY_SECURITY_SAMPLES],
)
def test_sample_questions_have_a_card_with_the_key_ideas(
    course: Course, lab_id: str, question: str, ideas: list[list[str]]
) -> None:
    answer = _plain(_card_for(course, lab_id, question).answer)
    missing = [alternatives for alternatives in ideas if not any(a in answer for a in alternatives)]
    assert not missing, f"answer to {question!r} lacks {missing}"


@pytest.mark.parametrize(
    "code", ["400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "502",
             "503", "504", "529"],
)
def test_each_status_code_has_its_own_card(course: Course, code: str) -> None:
    cards = [c for c in course.cards_for("api-basics") if c.id == f"ab-status-{code}"]
    assert cards, f"no card ab-status-{code}"
    assert "status-codes" in cards[0].objectives
    assert code in cards[0].answer


# --- lesson 2 and lab key-security ----------------------------------------------------------


def test_lesson2_names_the_five_leak_routes(lesson2: Lesson) -> None:
    section = _section(lesson2.body, "The five ways keys leak")
    items = re.findall(r"^\d\. \*\*(.+?)\*\*", section, re.M)
    assert len(items) == 5, items
    joined = " ".join(items).lower()
    for idea in ("repositor", "client", "logs", "pasted", "build"):
        assert idea in joined, idea


def test_lesson2_puts_revocation_first(lesson2: Lesson) -> None:
    section = _plain(_section(lesson2.body, "A key has leaked: the order of work"))
    steps = [section.index(word) for word in
             ("revoke the key, first", "audit usage", "rotate", "update and verify",
              "find the root cause")]
    assert steps == sorted(steps)


def test_incident_card_lists_steps_in_order(course: Course) -> None:
    answer = _plain(_card_for(
        course, "key-security",
        "I just pushed my .env file to a public GitHub repo. What do I do first?").answer)
    steps = [answer.index(word) for word in ("1. revoke", "2. audit", "3. rotate",
                                             "4. update and verify", "5. root cause")]
    assert steps == sorted(steps)


def test_lesson2_describes_key_formats_without_examples(lesson2: Lesson) -> None:
    text = _plain(lesson2.body)
    for prefix in ("sk-proj-", "sk-ant-api03-", "aiza"):
        assert prefix in text, prefix
    assert not KEY_SHAPED.search(lesson2.body)


def test_lesson2_marks_unverified_anecdotes_as_reported(lesson2: Lesson) -> None:
    for paragraph in re.split(r"\n\s*\n", lesson2.body):
        if "$3,000" in paragraph or "10 million" in paragraph:
            assert "reported" in paragraph.lower() or "quote" in paragraph.lower(), \
                paragraph[:80]
