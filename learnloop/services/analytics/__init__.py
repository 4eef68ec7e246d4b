"""What a teacher sees of a class: mastery per student and concept, a student's history,
how each item performs, and what students ask the tutor. The web API, the teacher's pages
and the CLI all read these.

Scope follows ``services.access``: a teacher sees the students of the classes they teach
(optionally one of those classes), an admin sees everyone, and other classes' students are
not found. Statistics count students only, so a teacher trying an item or the tutor does not
shift them. A grade counts as it stands now: a teacher's decision supersedes the machine's
grade (``GradeRow.supersedes_id``), and an answer still waiting in the review queue is
counted as pending, not as wrong.
"""

from __future__ import annotations

from learnloop.services.analytics.history import (
    CourseHistory,
    GradeStep,
    HistoryAttempt,
    StudentHistory,
    student_history,
)
from learnloop.services.analytics.items import (
    ItemStatistics,
    ItemStats,
    WrongAnswer,
    item_statistics,
    normalise_answer,
    pearson,
)
from learnloop.services.analytics.mastery import (
    ConceptHeader,
    MasteryMatrix,
    MatrixStudent,
    mastery_matrix,
)
from learnloop.services.analytics.questions import (
    ConceptQuestions,
    TutorQuestion,
    TutorQuestions,
    tutor_questions,
)
from learnloop.services.analytics.scope import student_scope

__all__ = [
    "ConceptHeader",
    "ConceptQuestions",
    "CourseHistory",
    "GradeStep",
    "HistoryAttempt",
    "ItemStatistics",
    "ItemStats",
    "MasteryMatrix",
    "MatrixStudent",
    "StudentHistory",
    "TutorQuestion",
    "TutorQuestions",
    "WrongAnswer",
    "item_statistics",
    "mastery_matrix",
    "normalise_answer",
    "pearson",
    "student_history",
    "student_scope",
    "tutor_questions",
]
