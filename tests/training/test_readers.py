"""Readers for graded answers: SemEval-2013 XML and gold tables, generic tables, Chinese LE."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from learnloop.errors import InvalidInputError
from learnloop.training.readers import read_chinese_le, read_semeval, read_table

BULB = """\
<?xml version="1.0"?>
<question qtype="Q_EXPLAIN_SPECIFIC" id="BULB_Q" module="FaultFinding" stype="EVALUATE">
  <questionText>Why does bulb A light?</questionText>
  <referenceAnswers>
    <referenceAnswer category="MINIMAL" id="a3" fileID="X">a closed path</referenceAnswer>
    <referenceAnswer category="BEST" id="a1" fileID="X">Bulb A is in a closed path</referenceAnswer>
    <referenceAnswer category="GOOD" id="a2" fileID="X">A is on a closed path</referenceAnswer>
  </referenceAnswers>
  <studentAnswers>
    <studentAnswer id="FF-BULB_Q.s1" accuracy="correct">it is in a  closed path</studentAnswer>
    <studentAnswer id="FF-BULB_Q.s2" accuracy="incorrect">it is connected</studentAnswer>
    <studentAnswer id="FF-BULB_Q.s3" accuracy="incorrect">i do not know</studentAnswer>
  </studentAnswers>
</question>
"""

SALT = """\
<?xml version="1.0"?>
<question id="EM_45b" module="EM">
  <questionText>How did you separate the salt from the water?</questionText>
  <referenceAnswers>
    <referenceAnswer id="EM_45b-a1">The water was evaporated, leaving the salt.</referenceAnswer>
  </referenceAnswers>
  <studentAnswers>
    <studentAnswer id="EM.45b.1" accuracy="correct">The water evaporated.</studentAnswer>
    <studentAnswer id="EM.45b.2" accuracy="incorrect">With a magnet &amp; a spoon.</studentAnswer>
  </studentAnswers>
</question>
"""

GOLD = """\
id\tqid\ttestSet\tmodule\tcount\taccuracy
FF-BULB_Q.s1\tBULB_Q\t\tFaultFinding\t1\tcorrect
FF-BULB_Q.s2\tBULB_Q\t\tFaultFinding\t1\tpartially_correct_incomplete
FF-BULB_Q.s3\tBULB_Q\t\tFaultFinding\t1\tnon_domain
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- SemEval ------------------------------------------------------------------------------


def test_semeval_file_gives_answers_with_question_and_best_reference_first(
    tmp_path: Path,
) -> None:
    data = read_semeval(write(tmp_path / "bulb.xml", BULB))
    assert len(data) == 3
    assert data.label_set == "2way"
    first = data.examples[0]
    assert first.question_id == "BULB_Q"
    assert first.question == "Why does bulb A light?"
    assert first.references == (
        "Bulb A is in a closed path",
        "A is on a closed path",
        "a closed path",
    )
    assert first.answer == "it is in a closed path"
    assert [ex.label for ex in data] == ["correct", "incorrect", "incorrect"]
    assert first.id == "FF-BULB_Q.s1"
    assert first.source.endswith("bulb.xml:10")


def test_semeval_folder_reads_one_file_per_question(tmp_path: Path) -> None:
    write(tmp_path / "set" / "a.xml", BULB)
    write(tmp_path / "set" / "b.xml", SALT)
    data = read_semeval(tmp_path / "set")
    assert len({ex.question_id for ex in data}) == 2
    assert data.examples[-1].answer == "With a magnet & a spoon."
    assert data.examples[-1].references == ("The water was evaporated, leaving the salt.",)
    with pytest.raises(InvalidInputError, match="folders set; point at one"):
        read_semeval(tmp_path)


def test_five_way_gold_gives_five_way_labels_that_fold_to_three_way(tmp_path: Path) -> None:
    xml = write(tmp_path / "xml" / "bulb.xml", BULB)
    gold = write(tmp_path / "gold" / "train_gold.txt", GOLD)
    data = read_semeval(xml.parent, five_way_gold=gold.parent)
    assert data.label_set == "5way"
    assert [ex.label for ex in data] == ["correct", "partially_correct_incomplete", "non_domain"]
    assert [ex.label for ex in data.with_label_set("3way")] == [
        "correct",
        "incorrect",
        "incorrect",
    ]
    coarse = read_semeval(xml, five_way_gold=gold, label_set="2way")
    assert [ex.label for ex in coarse] == ["correct", "incorrect", "incorrect"]


def test_an_answer_missing_from_the_gold_table_is_an_error(tmp_path: Path) -> None:
    xml = write(tmp_path / "bulb.xml", BULB)
    gold = write(tmp_path / "gold.txt", GOLD.rsplit("FF-BULB_Q.s3", 1)[0])
    with pytest.raises(InvalidInputError) as err:
        read_semeval(xml, five_way_gold=gold)
    message = str(err.value)
    assert "bulb.xml:12" in message
    assert "'FF-BULB_Q.s3'" in message
    assert "gold table" in message


def test_a_gold_table_that_contradicts_the_files_is_refused(tmp_path: Path) -> None:
    xml = write(tmp_path / "bulb.xml", BULB)
    gold = write(tmp_path / "gold.txt", GOLD.replace("\tcorrect\n", "\tcontradictory\n"))
    with pytest.raises(InvalidInputError, match="another data set"):
        read_semeval(xml, five_way_gold=gold)


def test_five_way_labels_need_the_gold_table(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="five_way_gold"):
        read_semeval(write(tmp_path / "bulb.xml", BULB), label_set="5way")


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    broken = BULB.replace("i do not know</studentAnswer>", "i do not know")
    with pytest.raises(InvalidInputError, match=r"bulb\.xml:13: not well-formed XML"):
        read_semeval(write(tmp_path / "bulb.xml", broken))


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    bomb = BULB.replace(
        '<?xml version="1.0"?>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY a "aaaaaaaaaa">]>\n',
    )
    with pytest.raises(InvalidInputError, match="entity declarations"):
        read_semeval(write(tmp_path / "bulb.xml", bomb))


def test_an_unknown_accuracy_names_its_line(tmp_path: Path) -> None:
    odd = BULB.replace('accuracy="incorrect">it is connected', 'accuracy="meh">it is connected')
    with pytest.raises(InvalidInputError, match=r"bulb\.xml:11: unknown accuracy 'meh'"):
        read_semeval(write(tmp_path / "bulb.xml", odd))


def test_a_question_without_reference_answers_is_refused(tmp_path: Path) -> None:
    bare = SALT.replace(
        '<referenceAnswer id="EM_45b-a1">The water was evaporated, leaving the salt.'
        "</referenceAnswer>",
        "",
    )
    with pytest.raises(InvalidInputError, match="no reference answer"):
        read_semeval(write(tmp_path / "salt.xml", bare))


# --- tables -------------------------------------------------------------------------------

CSV = """\
question_id,question,reference,answer,label
q1,Why?,Bulb A is in a closed path||A closed path,"it is in a closed path, I think",correct
q1,Why?,Bulb A is in a closed path||A closed path,it is connected,incorrect
"""


def test_csv_with_our_column_names(tmp_path: Path) -> None:
    data = read_table(write(tmp_path / "answers.csv", CSV))
    assert data.label_set == "2way"
    assert [ex.label for ex in data] == ["correct", "incorrect"]
    assert data.examples[0].references == ("Bulb A is in a closed path", "A closed path")
    assert data.examples[0].answer == "it is in a closed path, I think"
    assert data.examples[1].source.endswith("answers.csv:3")


def test_tsv_with_mapped_columns_and_scores_only(tmp_path: Path) -> None:
    path = write(
        tmp_path / "scores.tsv",
        "题号\t参考答案\t学生答案\t得分\n1\t保管员、理货员\t保管员\t0.5\n1\t保管员、理货员\t理货员\t0.5\n",
    )
    data = read_table(
        path,
        columns={
            "question_id": "题号",
            "reference": "参考答案",
            "answer": "学生答案",
            "score": "得分",
        },
        language="zh",
    )
    assert data.label_set is None
    assert [(ex.answer, ex.score, ex.language) for ex in data] == [
        ("保管员", 0.5, "zh"),
        ("理货员", 0.5, "zh"),
    ]


def test_jsonl_with_reference_lists_and_an_explicit_format(tmp_path: Path) -> None:
    rows = [
        {"question": "Q?", "reference": ["best", "also fine"], "answer": "a", "label": "Correct"},
        {"question": "Q?", "reference": ["best", "also fine"], "answer": "b", "score": 0.25},
        {"question": "Other?", "reference": "other", "answer": "c", "label": "incorrect"},
    ]
    path = write(tmp_path / "export.txt", "\n".join(json.dumps(r) for r in rows) + "\n")
    data = read_table(path, fmt="jsonl")
    assert data.examples[0].references == ("best", "also fine")
    assert [ex.label for ex in data] == ["correct", None, "incorrect"]
    assert data.examples[1].score == 0.25
    ids = [ex.question_id for ex in data]
    assert ids[0] == ids[1] != ids[2]  # answers to the same question share a generated id


def test_finer_labels_fold_into_the_label_set_asked_for(tmp_path: Path) -> None:
    path = write(
        tmp_path / "five.csv",
        "reference,answer,label\nr,a,partially_correct_incomplete\nr,b,contradictory\n"
        "r,c,correct\n",
    )
    assert read_table(path).label_set == "5way"
    assert [ex.label for ex in read_table(path, label_set="3way")] == [
        "incorrect",
        "contradictory",
        "correct",
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "r,a,wrong,",
            r"bad\.csv:3: unknown label 'wrong' for the 2way label set .*incorrect, correct",
        ),
        ("r,a,,1.5", r"bad\.csv:3: score '1\.5' is not a number in \[0, 1\] .*scale scores"),
        ("r,a,,abc", r"bad\.csv:3: score 'abc' is not a number"),
        ("r,a,,", r"bad\.csv:3: neither a label nor a score"),
        ("r,a", r"bad\.csv:3: expected 4 fields, found 2"),
        (",a,correct,", r"bad\.csv:3: no reference answer"),
    ],
)
def test_bad_rows_name_file_line_and_fix(tmp_path: Path, row: str, expected: str) -> None:
    path = write(tmp_path / "bad.csv", f"reference,answer,label,score\nr,ok,correct,1\n{row}\n")
    with pytest.raises(InvalidInputError, match=expected):
        read_table(path, label_set="2way")


def test_a_missing_column_lists_the_columns_and_how_to_map_one(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "ref,student_answer,label\nr,a,correct\n")
    with pytest.raises(InvalidInputError) as err:
        read_table(path)
    message = str(err.value)
    assert "t.csv:1: no column 'answer'" in message
    assert "columns: ref, student_answer, label" in message
    assert "columns={'answer': 'COLUMN'}" in message
    data = read_table(path, columns={"answer": "student_answer", "reference": "ref"})
    assert data.examples[0].answer == "a"


def test_a_table_needs_labels_or_scores(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "reference,answer\nr,a\n")
    with pytest.raises(InvalidInputError, match="neither a 'label' nor a 'score' column"):
        read_table(path)


def test_a_tab_separated_csv_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "reference\tanswer\tlabel\nr\ta\tcorrect\n")
    with pytest.raises(InvalidInputError, match="fmt='tsv'"):
        read_table(path)
    assert len(read_table(path, fmt="tsv")) == 1


def test_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="fmt='csv', 'tsv' or 'jsonl'"):
        read_table(write(tmp_path / "answers.xlsx", "x"))


def test_bad_json_line_is_located(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", '{"reference": "r", "answer": "a", "score": 1}\n{oops\n')
    with pytest.raises(InvalidInputError, match=r"a\.jsonl:2: invalid JSON"):
        read_table(path)


# --- Chinese LE ---------------------------------------------------------------------------


def le_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "LE"
    write(
        folder / "qa.csv",
        "1\t在仓储企业中，一般包括什么岗位？\t在仓储企业中，一般包括保管员、理货员等岗位。\n"
        '2\t配送中心规划目标应考虑哪些因素？\t"集中存储货物,控制物流费用。"\n',
    )
    write(
        folder / "s_train_zh.csv",
        "1\t在仓储企业中，一般包括保管员、理货员等岗位。\t保管员\t0.5\n"
        "2\t集中存储货物，控制物流费用。\t控制物流费用\t0.5\n",
    )
    write(folder / "s_eval_zh.csv", "1\t在仓储企业中，一般包括保管员、理货员等岗位。\t司机\t0.0\n")
    return folder


def test_chinese_le_split_reads_scores_questions_and_references(tmp_path: Path) -> None:
    data = read_chinese_le(le_folder(tmp_path), "train")
    assert data.label_set is None
    assert len(data) == 2
    first = data.examples[0]
    assert first.question == "在仓储企业中，一般包括什么岗位？"
    assert first.references == ("在仓储企业中，一般包括保管员、理货员等岗位。",)
    assert (first.answer, first.score, first.language) == ("保管员", 0.5, "zh")
    assert data.examples[1].question == "配送中心规划目标应考虑哪些因素？"
    assert [ex.answer for ex in read_chinese_le(le_folder(tmp_path), "eval")] == ["司机"]


def test_chinese_le_errors_name_the_split_or_line(tmp_path: Path) -> None:
    folder = le_folder(tmp_path)
    with pytest.raises(InvalidInputError, match="train, eval, all"):
        read_chinese_le(folder, "test")
    write(folder / "bad.csv", "1\tr\ta\t0.5\n1\tr\ta\t5\n")
    with pytest.raises(
        InvalidInputError, match=r"bad\.csv:2: score '5' is not a number in \[0, 1\]"
    ):
        read_chinese_le(folder, "bad.csv")


# --- the real data sets, where present ----------------------------------------------------

DATA = Path("/work/shared/data/asag")


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the public ASAG data is not at {DATA}")
@pytest.mark.parametrize(
    ("folder", "questions", "answers"),
    [
        ("semeval2013/training/beetle", 47, 3941),
        ("semeval2013/training/sciEntsBank", 135, 4969),
        ("semeval2013/test/beetle/test-unseen-answers", 47, 439),
    ],
)
def test_real_semeval_counts(folder: str, questions: int, answers: int) -> None:
    data = read_semeval(DATA / folder)
    assert (len({ex.question_id for ex in data}), len(data)) == (questions, answers)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the public ASAG data is not at {DATA}")
def test_real_beetle_five_way_gold_agrees_with_two_way_labels() -> None:
    two = read_semeval(DATA / "semeval2013/training/beetle")
    five = read_semeval(
        DATA / "semeval2013/training/beetle", five_way_gold=DATA / "semeval2013/5way-gold"
    )
    assert Counter(ex.label for ex in five.with_label_set("2way")) == Counter(
        ex.label for ex in two
    )
    assert set(ex.label for ex in five) == set(five.labels)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the public ASAG data is not at {DATA}")
def test_real_chinese_le_counts() -> None:
    sizes = {s: len(read_chinese_le(DATA / "chinese/LE", s)) for s in ("train", "eval", "all")}
    assert sizes == {"train": 409, "eval": 176, "all": 585}
