"""Every suggestion explains itself in the student's language: which concept, why now, and what
the student model expects. The texts are the pages' catalogue entries ``next.*`` (registered
with ``web.i18n`` by the pages), kept here beside the reasons they explain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from learnloop.recommend.model import Kind, Reason, Suggestion

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "next.reason.start": (
            "“{concept}” needs nothing before it and you have not started it yet."
        ),
        "next.reason.ready": (
            "You have mastered what “{concept}” builds on, so it is ready for you."
        ),
        "next.reason.continue": "You have started “{concept}” but not mastered it yet.",
        "next.reason.retry": (
            "Your last answer on “{concept}” was not right: here is another question on it."
        ),
        "next.reason.read": (
            "{wrong} answers in a row on “{concept}” were not right: read the course page that "
            "explains it, then try another question."
        ),
        "next.reason.step_back": (
            "“{stuck_on}” keeps going wrong ({wrong} in a row), so we step back to "
            "“{concept}”, which it builds on."
        ),
        "next.reason.review": (
            "Time to review “{concept}”: you have probably forgotten some of it by now "
            "(recall about {recall}%)."
        ),
        "next.reason.goal": "“{concept}” is on your way to the goal “{goal}”.",
        "next.reason.course_order": "The next question in the course's order.",
        "next.reason.done": "You have mastered every concept and no review is due.",
        "next.reason.waiting": "Nothing is ready to practise yet.",
        "next.expect": "We expect you to get it right about {percent}% of the time.",
        "next.review_at": "Your next review is due {when}.",
        "next.no_review": "Nothing needs reviewing yet.",
    },
    "zh": {
        "next.reason.start": "“{concept}”没有先修知识点，你还没有开始学习它。",
        "next.reason.ready": "你已经掌握了“{concept}”的先修知识点，可以学习它了。",
        "next.reason.continue": "你已经开始学习“{concept}”，但还没有掌握。",
        "next.reason.retry": "你上一次关于“{concept}”的回答不正确，再做一道这个知识点的题。",
        "next.reason.read": (
            "你关于“{concept}”的回答连续 {wrong} 次不正确：先阅读讲解它的课程页面，再做一道题。"
        ),
        "next.reason.step_back": (
            "“{stuck_on}”连续 {wrong} 次答错，所以先回到它所依赖的“{concept}”。"
        ),
        "next.reason.review": (
            "该复习“{concept}”了：你现在可能已经忘记了一部分（记忆约 {recall}%）。"
        ),
        "next.reason.goal": "“{concept}”在你通往目标“{goal}”的路上。",
        "next.reason.course_order": "按课程顺序的下一道题。",
        "next.reason.done": "你已经掌握了所有知识点，目前没有需要复习的内容。",
        "next.reason.waiting": "目前还没有可以练习的内容。",
        "next.expect": "我们预计你大约有 {percent}% 的把握答对。",
        "next.review_at": "下一次复习时间：{when}。",
        "next.no_review": "目前还没有需要复习的内容。",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    table = MESSAGES.get(lang) or MESSAGES["en"]
    return (table.get(key) or MESSAGES["en"][key]).format(**values)


def when(at: datetime, lang: str) -> str:
    return (
        at.strftime("%Y-%m-%d %H:%M UTC")
        if lang == "en"
        else at.strftime("%Y年%m月%d日 %H:%M（UTC）")
    )


def explain(suggestion: Suggestion, lang: str, names: Mapping[str, str]) -> str:
    """The suggestion's reason in ``lang``, concepts by their names in ``names``."""

    def name(key: object) -> str:
        return names.get(str(key), str(key)) if key is not None else ""

    b = suggestion.because
    values = {
        "concept": name(suggestion.concept),
        "stuck_on": name(b.get("stuck_on")),
        "goal": name(b.get("goal")),
        "wrong": b.get("wrong", 0),
        "recall": round(100 * float(b.get("recall", 0.0))),
    }
    parts = [text(lang, f"next.reason.{suggestion.reason.value}", **values)]
    if suggestion.kind is Kind.DONE:
        if suggestion.next_review is not None:
            parts.append(text(lang, "next.review_at", when=when(suggestion.next_review, lang)))
        else:
            parts.append(text(lang, "next.no_review"))
    elif suggestion.p_correct is not None and suggestion.reason is not Reason.COURSE_ORDER:
        parts.append(text(lang, "next.expect", percent=round(100 * suggestion.p_correct)))
    return ("" if lang == "zh" else " ").join(parts)
