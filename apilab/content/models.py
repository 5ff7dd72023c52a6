"""Schemas for course content. Every content file is validated against these."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from apilab.errors import NotFoundError

__all__ = ["Card", "Course", "Lab", "Lesson", "Objective", "Source"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Source(_Strict):
    """Where a dated claim or price comes from."""

    id: str
    title: str
    url: str | None = None
    date: str | None = None  # ISO date or "2024-06" of the claim/publication
    note: str | None = None  # e.g. "reported; not independently verified"


class Objective(_Strict):
    """A learning objective of a lab; ``keywords`` help the tutor notice coverage."""

    id: str
    text: str
    keywords: list[str] = Field(default_factory=list)


class Lab(_Strict):
    """A lab: scenario, 4-6 objectives, starter questions, the completion rule."""

    id: str
    lesson: str
    title: str
    scenario: str
    objectives: list[Objective] = Field(min_length=4, max_length=6)
    starter_questions: list[str] = Field(min_length=3)
    min_exchanges: int = 3
    # Words that mark a message as on-topic for this lab even without a card match.
    topic_keywords: list[str] = Field(default_factory=list)

    def objective(self, objective_id: str) -> Objective:
        for obj in self.objectives:
            if obj.id == objective_id:
                return obj
        raise NotFoundError(f"Lab {self.id!r} has no objective {objective_id!r}.")


class Lesson(_Strict):
    """A lesson: Markdown body with front matter, and its sources."""

    id: str
    number: int
    title: str
    lab: str
    summary: str
    minutes: int = 15
    sources: list[Source] = Field(default_factory=list)
    body: str  # Markdown


class Card(_Strict):
    """An answer card for the offline tutor."""

    id: str
    lab: str
    objectives: list[str] = Field(min_length=1)
    questions: list[str] = Field(min_length=3)  # several phrasings of what it answers
    answer: str  # Markdown, our own words
    follow_up: str
    keywords: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)  # Source ids from the lesson


class Course(_Strict):
    """The whole course, cross-checked."""

    lessons: list[Lesson]
    labs: list[Lab]
    cards: list[Card]

    @model_validator(mode="after")
    def _check(self) -> Course:
        lab_ids = {lab.id for lab in self.labs}
        for ids, what in (
            ([x.id for x in self.lessons], "lesson"),
            ([x.id for x in self.labs], "lab"),
            ([x.id for x in self.cards], "card"),
        ):
            dupes = {i for i in ids if ids.count(i) > 1}
            if dupes:
                raise ValueError(f"duplicate {what} ids: {sorted(dupes)}")
        for lesson in self.lessons:
            if lesson.lab not in lab_ids:
                raise ValueError(f"lesson {lesson.id} names unknown lab {lesson.lab}")
        objectives = {lab.id: {o.id for o in lab.objectives} for lab in self.labs}
        for card in self.cards:
            if card.lab not in lab_ids:
                raise ValueError(f"card {card.id} names unknown lab {card.lab}")
            unknown = set(card.objectives) - objectives[card.lab]
            if unknown:
                raise ValueError(f"card {card.id} names unknown objectives {sorted(unknown)}")
        return self

    def lab(self, lab_id: str) -> Lab:
        for lab in self.labs:
            if lab.id == lab_id:
                return lab
        known = ", ".join(x.id for x in self.labs)
        raise NotFoundError(f"Unknown lab {lab_id!r}. Known labs: {known}.")

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        known = ", ".join(x.id for x in self.lessons)
        raise NotFoundError(f"Unknown lesson {lesson_id!r}. Known lessons: {known}.")

    def lesson_for_lab(self, lab_id: str) -> Lesson:
        lab = self.lab(lab_id)
        return self.lesson(lab.lesson)

    def cards_for(self, lab_id: str) -> list[Card]:
        return [c for c in self.cards if c.lab == lab_id]
