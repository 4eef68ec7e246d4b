"""Small graded answer sets, written like real students' answers, for the learned graders."""

from __future__ import annotations

import pytest

from learnloop.training.examples import GradingDataset, GradingExample

QUESTIONS = {
    "bulb": (
        "Why does bulb A light up?",
        ("Bulb A is in a closed path with the battery.", "There is a closed path to bulb A."),
        [
            "bulb a is in a closed path with the battery",
            "because it is in a closed path",
            "there is a closed path from the battery through bulb a",
            "A is on a closed path with the battery",
            "the battery and bulb A form a closed path",
            "it is still in a closed path with the battery",
            "bulb a is contained in a closed path",
            "a closed path goes through bulb a and the battery",
        ],
        [
            "because it is connected",
            "the bulb is broken",
            "i don't know",
            "bulb a has a gap next to it",
            "because of the switch",
            "it just does",
            "the wires are red",
            "bulb b is brighter",
        ],
    ),
    "salt": (
        "How did you separate the salt from the water?",
        ("The water evaporated, leaving the salt behind.",),
        [
            "the water evaporated and left the salt",
            "we let the water evaporate so the salt was left behind",
            "i let the water evaporate and the salt stayed",
            "the water evaporated leaving salt crystals",
            "by letting the water evaporate, leaving the salt",
            "evaporate the water and the salt is left",
            "the water evaporates and salt remains behind",
            "leave it until the water evaporated, the salt was left",
        ],
        [
            "by pouring it into a tray",
            "you shake it",
            "with a magnet",
            "i used a filter paper",
            "by slowly tipping the vial",
            "the salt sinks to the bottom",
            "we stirred it a lot",
            "the rocks were on the bottom",
        ],
    ),
    "voltage": (
        "Why was the voltage 0 between terminals 1 and 2?",
        ("Terminals 1 and 2 are connected, so they are in the same electrical state.",),
        [
            "terminals 1 and 2 are connected so they are in the same electrical state",
            "they are connected and have the same electrical state",
            "1 and 2 are in the same electrical state because they are connected",
            "the terminals are connected, same electrical state",
            "there is no gap, they are connected and in the same state",
            "same electrical state since they are connected",
            "both terminals are connected to each other so same state",
            "because terminal 1 is connected to terminal 2, they share a state",
        ],
        [
            "the battery is dead",
            "because there is a gap",
            "i am not sure",
            "the bulb is off",
            "the voltmeter is broken",
            "because it is zero",
            "the switch is open",
            "no idea",
        ],
    ),
}

UNSEEN = (
    "What does a plant need to make its food?",
    ("Plants need sunlight, water and carbon dioxide to make food.",),
    [
        "sunlight, water and carbon dioxide",
        "it needs sunlight and water and carbon dioxide",
        "plants use sunlight, carbon dioxide and water",
        "water, carbon dioxide and sunlight make the food",
        "they need sunlight water and carbon dioxide to make food",
        "sunlight plus water plus carbon dioxide",
    ],
    [
        "soil",
        "i don't know",
        "it eats bugs",
        "fertilizer from the shop",
        "the roots grow down",
        "nothing",
    ],
)


def examples(
    question_id: str, question: str, refs: tuple[str, ...], good: list[str], bad: list[str]
) -> list[GradingExample]:
    return [
        GradingExample(
            question_id=question_id,
            question=question,
            references=refs,
            answer=answer,
            label=label,
            id=f"{question_id}-{label}-{i}",
        )
        for label, answers in (("correct", good), ("incorrect", bad))
        for i, answer in enumerate(answers)
    ]


@pytest.fixture(scope="session")
def circuits() -> GradingDataset:
    """Three questions, eight right and eight wrong answers each (2-way labels)."""
    return GradingDataset(
        [ex for qid, spec in QUESTIONS.items() for ex in examples(qid, *spec)], name="circuits"
    )


@pytest.fixture(scope="session")
def unseen() -> GradingDataset:
    """Answers to a question none of the graders was trained on."""
    return GradingDataset(examples("motor", *UNSEEN), name="motor")


@pytest.fixture(scope="session")
def chinese_scores() -> GradingDataset:
    """Chinese answers scored by the share of the reference's three items they name."""
    reference = "在仓储企业中，一般包括保管员、理货员、商品养护员等岗位。"
    question = "在仓储企业中，一般包括什么岗位？"
    answers = {
        "保管员、理货员、商品养护员": 1.0,
        "一般包括保管员、理货员和商品养护员等岗位": 1.0,
        "有保管员，理货员，商品养护员": 1.0,
        "保管员和理货员": 0.7,
        "理货员、商品养护员": 0.7,
        "保管员、商品养护员": 0.7,
        "保管员": 0.3,
        "理货员": 0.3,
        "商品养护员": 0.3,
        "司机": 0.0,
        "会计和出纳": 0.0,
        "不知道": 0.0,
    }
    return GradingDataset(
        [
            GradingExample(
                question_id="le-1",
                question=question,
                references=(reference,),
                answer=answer,
                score=score,
                id=f"le-{i}",
                language="zh",
            )
            for i, (answer, score) in enumerate(answers.items())
        ],
        label_set=None,
        name="le-mini",
    )
