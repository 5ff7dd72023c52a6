"""Course content: lessons, labs and answer cards, loaded from package data.

Content is data (Markdown and YAML under ``content/course/``), never code. The
loader validates every file against the schemas in ``models.py``.
"""

from apilab.content.loader import LAB_IDS, load_course
from apilab.content.models import Card, Course, Lab, Lesson, Objective, Source

__all__ = ["LAB_IDS", "Card", "Course", "Lab", "Lesson", "Objective", "Source", "load_course"]
