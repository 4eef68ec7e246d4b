"""Feedback text in every language a course may use.

Graders never build sentences themselves: they name a message key and its parameters, so a new
language is one more column here and a translator never has to read grading code. A key missing
in a language falls back to English, so a half-done translation still grades.
"""

from __future__ import annotations

from collections.abc import Iterable

from learnloop.domain.text import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

CATALOGUE: dict[str, dict[str, str]] = {
    # Any item type
    "correct": {"en": "Correct.", "zh": "正确。"},
    "incorrect": {"en": "Not quite.", "zh": "不正确。"},
    "no_answer": {"en": "No answer was given.", "zh": "没有作答。"},
    "too_long": {
        "en": "Your answer is too long (max {max:,} characters).",
        "zh": "答案太长（最多 {max:,} 个字符）。",
    },
    "one_answer": {
        "en": "Give one answer, not a list of {count}.",
        "zh": "请只给出一个答案，而不是 {count} 个。",
    },
    "unreadable": {
        "en": "This answer could not be read.",
        "zh": "无法识别这个答案。",
    },
    "needs_review": {
        "en": "Your answer could not be checked automatically; a teacher will look at it.",
        "zh": "无法自动批改你的答案，老师会进行复核。",
    },
    # Multiple choice
    "choice_none": {"en": "No choice was picked.", "zh": "没有选择任何选项。"},
    "choice_pick_one": {
        "en": "Pick exactly one choice.",
        "zh": "只能选择一个选项。",
    },
    "choice_unknown": {
        "en": "There is no choice {ids}; the choices are {known}.",
        "zh": "没有选项 {ids}；可选的选项是 {known}。",
    },
    "choice_summary": {
        "en": "You picked {right} of the {total} right choices and {wrong} wrong one(s).",
        "zh": "你选对了 {total} 个正确选项中的 {right} 个，另选错了 {wrong} 个。",
    },
    # Numbers
    "num_unreadable": {
        "en": (
            "Could not read this as a number. Write a decimal (like 2.5), a fraction (a/b), "
            "a mixed number (a b/c) or a percent (n%)."
        ),
        "zh": "无法识别为数字。请写成小数（如 2.5）、分数（a/b）、带分数（a b/c）或百分数（n%）。",
    },
    "num_decimal_comma": {
        "en": "Use a point for decimals: write {fixed}, not {given}.",
        "zh": "小数请用小数点：写成 {fixed}，而不是 {given}。",
    },
    "num_mixed_hyphen": {
        "en": "Write a mixed number with a space, like {fixed}: {given} reads as a subtraction.",
        "zh": "带分数请用空格分开，如 {fixed}：{given} 会被理解为减法。",
    },
    "num_zero_denominator": {
        "en": "A fraction cannot have 0 as its denominator.",
        "zh": "分数的分母不能为 0。",
    },
    "num_too_big": {
        "en": "This number is too large to check (powers of ten up to {max:,}).",
        "zh": "这个数太大，无法批改（10 的幂最多到 {max:,}）。",
    },
    "num_form": {
        "en": "The value is right, but write it as {forms}.",
        "zh": "数值正确，但请写成{forms}。",
    },
    "num_not_simplest": {
        "en": "Right value, but not in simplest form.",
        "zh": "数值正确，但没有化成最简形式。",
    },
    "num_within_tolerance": {
        "en": "Correct (within the allowed tolerance).",
        "zh": "正确（在允许的误差范围内）。",
    },
    "num_converted": {
        "en": "Correct (given in {unit}).",
        "zh": "正确（以 {unit} 为单位）。",
    },
    "num_unit_not_needed": {
        "en": "Correct; no unit was needed.",
        "zh": "正确；这里不需要单位。",
    },
    "num_missing_unit": {
        "en": "Right value, but give the unit ({unit}).",
        "zh": "数值正确，但请写上单位（{unit}）。",
    },
    "num_wrong_unit": {
        "en": "Right number, wrong unit: the answer is not in {given}.",
        "zh": "数字正确，但单位错了：答案的单位不是 {given}。",
    },
    "num_unknown_unit": {
        "en": "'{given}' is not a unit this question accepts ({known}).",
        "zh": "这道题不接受单位“{given}”（可用：{known}）。",
    },
    "num_sign_missing": {
        "en": "The value is right but the negative sign is missing.",
        "zh": "数值大小正确，但缺少负号。",
    },
    "num_sign_extra": {
        "en": "The size is right but the answer should not be negative.",
        "zh": "数值大小正确，但答案不应是负数。",
    },
    "num_too_large": {"en": "Your answer is too big.", "zh": "你的答案偏大。"},
    "num_too_small": {"en": "Your answer is too small.", "zh": "你的答案偏小。"},
    "num_factor": {
        "en": "Off by a factor of {factor:,}: check the decimal point.",
        "zh": "相差 {factor:,} 倍：检查一下小数点。",
    },
    "num_percent": {
        "en": "Off by a factor of 100: check whether you need a percent sign.",
        "zh": "相差 100 倍：检查是否需要百分号。",
    },
    "num_reciprocal": {
        "en": "Upside down: check which number goes on top of the fraction.",
        "zh": "分子和分母颠倒了。",
    },
    "num_close": {
        "en": "Close, but not exact: give the exact value.",
        "zh": "很接近，但不精确：请给出精确值。",
    },
    "num_close_fraction": {
        "en": "Close, but not exact: give the exact value (a fraction is fine).",
        "zh": "很接近，但不精确：请给出精确值（可以用分数）。",
    },
    # Expressions
    "expr_unreadable": {
        "en": "Could not read this as a mathematical expression.",
        "zh": "无法识别为数学表达式。",
    },
    "expr_char": {
        "en": "The character '{char}' cannot be used in this answer.",
        "zh": "答案中不能使用字符“{char}”。",
    },
    "expr_unknown_names": {
        "en": "Unknown name(s): {names}. This question uses {allowed}.",
        "zh": "无法识别：{names}。这道题只使用 {allowed}。",
    },
    "expr_brackets": {
        "en": "The brackets do not match.",
        "zh": "括号不配对。",
    },
    "expr_nesting": {
        "en": "Too many nested brackets (max {max}).",
        "zh": "括号嵌套太多（最多 {max} 层）。",
    },
    "expr_too_many_tokens": {
        "en": "This expression is too long (max {max:,} symbols).",
        "zh": "表达式太长（最多 {max:,} 个符号）。",
    },
    "expr_exponent": {
        "en": "An exponent in this expression is too large (max {max:,}).",
        "zh": "表达式中的指数太大（最多 {max:,}）。",
    },
    "expr_too_big": {
        "en": "The numbers in this expression are too large to work with.",
        "zh": "表达式中的数太大，无法计算。",
    },
    "expr_undefined": {
        "en": "This expression is undefined (is something divided by zero?).",
        "zh": "这个表达式没有意义（是不是除以了零？）。",
    },
    "expr_not_real": {
        "en": "This expression contains a number that is not real (like the square root of -1).",
        "zh": "表达式中含有非实数（例如 -1 的平方根）。",
    },
    "expr_adjacent_numbers": {
        "en": "Two numbers stand next to each other; put an operator between them.",
        "zh": "两个数字挨在一起；请在它们之间加上运算符。",
    },
    "expr_one_equals": {
        "en": "Use '=' at most once.",
        "zh": "最多只能使用一个“=”。",
    },
    "expr_need_equation": {
        "en": "Write an equation, with '='.",
        "zh": "请写成一个含“=”的方程。",
    },
    "expr_need_expression": {
        "en": "Write an expression, without '='.",
        "zh": "请写一个表达式，不要用“=”。",
    },
    "expr_not_equivalent": {
        "en": "This is not equivalent to the right answer.",
        "zh": "与正确答案不等价。",
    },
    "expr_equation_not_equivalent": {
        "en": "This equation is not equivalent to the right one.",
        "zh": "这个方程与正确的方程不等价。",
    },
    # Free text graded by a learned grader
    "partly_correct": {"en": "Partly right.", "zh": "部分正确。"},
    "learned_provisional": {
        "en": "This grade is provisional: your teacher will check it.",
        "zh": "这是暂定的评分，老师会进行复核。",
    },
    "teacher_reviewed": {
        "en": "Your teacher reviewed this grade.",
        "zh": "老师已复核这个评分。",
    },
    "learned_pending": {
        "en": "Your answer was saved; your teacher will grade it.",
        "zh": "你的答案已保存，老师会批改。",
    },
    # Short text
    "text_spelling": {
        "en": "Almost: check your spelling.",
        "zh": "很接近了，请检查拼写。",
    },
    "text_case": {
        "en": "Check the capital letters.",
        "zh": "请注意大小写。",
    },
}

_FORM_NAMES: dict[str, dict[str, str]] = {
    "decimal": {"en": "a decimal", "zh": "小数"},
    "fraction": {"en": "a fraction", "zh": "分数"},
    "mixed": {"en": "a mixed number", "zh": "带分数"},
    "percent": {"en": "a percent", "zh": "百分数"},
}
_OR = {"en": " or ", "zh": "或"}
_LIST_SEPARATOR = {"en": ", ", "zh": "、"}


def normalize_lang(lang: object) -> str:
    """Browsers send ``zh-CN`` or ``en_GB``; the catalogue is keyed by the bare language."""
    if not isinstance(lang, str):
        return DEFAULT_LANGUAGE
    base = lang.replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def message(key: str, lang: str, **params: object) -> str:
    texts = CATALOGUE[key]
    template = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return template.format(**params)


def join_list(items: Iterable[str], lang: str) -> str:
    return _LIST_SEPARATOR.get(lang, ", ").join(items)


def form_names(forms: Iterable[str], lang: str) -> str:
    names = [_FORM_NAMES[f].get(lang) or _FORM_NAMES[f][DEFAULT_LANGUAGE] for f in forms]
    return _OR.get(lang, " or ").join(names)
