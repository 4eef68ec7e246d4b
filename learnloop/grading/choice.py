"""Multiple choice: one right choice, or a set of right choices with partial credit.

For a set, the score is ``max(0, (right picked - wrong picked) / number of right choices)``:
picking everything is no strategy, and each missing right choice costs as much as a wrong one.
"""

from __future__ import annotations

import re

from learnloop.domain.course import Choice, MultipleChoiceAnswer
from learnloop.domain.grade import Grade, Verdict
from learnloop.domain.text import pick
from learnloop.grading.base import RuleGrader, verdict_for
from learnloop.grading.messages import join_list, message
from learnloop.grading.safe_input import UnreadableAnswer, nfkc, read_list

_SEPARATORS = re.compile(r"[\s,;，、；]+")


class ChoiceGrader(RuleGrader[MultipleChoiceAnswer]):
    name = "rules.choice"
    spec_type = MultipleChoiceAnswer

    def evaluate(self, spec: MultipleChoiceAnswer, response: object, lang: str) -> Grade:
        picked = _resolve(spec.choices, _split(read_list(response)), lang)
        if not picked:
            raise UnreadableAnswer("choice_none")
        if not spec.multiple:
            return self._single(picked, lang)
        return self._several(spec, picked, lang)

    def _single(self, picked: list[Choice], lang: str) -> Grade:
        if len(picked) > 1:
            raise UnreadableAnswer("choice_pick_one")
        choice = picked[0]
        verdict = Verdict.CORRECT if choice.correct else Verdict.INCORRECT
        lines = [message(verdict.value, lang), pick(choice.feedback, lang)]
        return self.result(
            verdict,
            1.0 if choice.correct else 0.0,
            " ".join(line for line in lines if line),
            details={"picked": [choice.id]},
        )

    def _several(self, spec: MultipleChoiceAnswer, picked: list[Choice], lang: str) -> Grade:
        total = sum(c.correct for c in spec.choices)
        right = sum(c.correct for c in picked)
        wrong = len(picked) - right
        score = max(0.0, (right - wrong) / total)
        verdict = verdict_for(score)
        if verdict is Verdict.CORRECT:
            lines = [message("correct", lang)]
        else:
            lines = [message("choice_summary", lang, right=right, total=total, wrong=wrong)]
        order = {c.id: i for i, c in enumerate(spec.choices)}
        lines += [pick(c.feedback, lang) for c in sorted(picked, key=lambda c: order[c.id])]
        return self.result(
            verdict,
            score,
            " ".join(line for line in lines if line),
            details={"picked": [c.id for c in picked], "right": right, "wrong": wrong},
        )


def _split(parts: list[str]) -> list[str]:
    """``"a, c"`` and ``["a", "c"]`` mean the same pick; so does ``"a c"`` or ``"a、c"``."""
    ids: list[str] = []
    for part in parts:
        ids.extend(p for p in _SEPARATORS.split(nfkc(part)) if p)
    return ids


def _resolve(choices: list[Choice], ids: list[str], lang: str) -> list[Choice]:
    """Choices by id, case-insensitively when that is unambiguous; repeats count once."""
    by_id = {c.id: c for c in choices}
    folded: dict[str, list[Choice]] = {}
    for c in choices:
        folded.setdefault(c.id.casefold(), []).append(c)
    picked: dict[str, Choice] = {}
    unknown: list[str] = []
    for raw in ids:
        choice = by_id.get(raw)
        if choice is None and len(folded.get(raw.casefold(), [])) == 1:
            choice = folded[raw.casefold()][0]
        if choice is None:
            unknown.append(raw if len(raw) <= 20 else raw[:20] + "…")
        else:
            picked.setdefault(choice.id, choice)
    if unknown:
        raise UnreadableAnswer(
            "choice_unknown",
            ids=join_list(dict.fromkeys(unknown[:5]), lang),
            known=join_list((c.id for c in choices), lang),
        )
    return list(picked.values())
