"""Classes: join codes, per-class backend and budget, open labs, the instructor dashboard.

- ``rooms``: ``Classes`` (create, join, options, close, who may see which class,
  a learner's class context and the settings it lays over the server's);
- ``dashboard``: the figures of one class's dashboard;
- ``gaps``: the tutor's unanswered questions grouped by similarity;
- ``export``: CSV and JSON of the dashboard;
- ``privacy``: a learner's own data export and deletion, and the retention purge.

Budgets are not enforced here: a class's caps become the call layer's class
scope and per-learner cap (``Classes.settings_for``), and its budget layer
refuses past them. This package never imports ``web`` or ``cli``.
"""

from apilab.classes.rooms import ClassContext, Classes

__all__ = ["ClassContext", "Classes"]
