"""The pages' parts on their own: every text in both languages, citations landing on their
section, and the course map's drawing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from learnloop.courses import load_pack
from learnloop.retrieval.chunking import chunk_material
from learnloop.services.demo import demo_course_paths
from learnloop.tutor.style import REASONS
from learnloop.web import i18n
from learnloop.web.pages.conceptmap import MapConcept, layout, wrap
from learnloop.web.pages.items import _tutor_setup
from learnloop.web.pages.markdown import render_markdown

WEB = Path(i18n.__file__).resolve().parent


def test_every_text_exists_in_english_and_chinese() -> None:
    en, zh = i18n.MESSAGES["en"], i18n.MESSAGES["zh"]
    assert set(en) == set(zh)
    for key in en:
        fields = set(re.findall(r"\{(\w+)\}", en[key]))
        assert fields == set(re.findall(r"\{(\w+)\}", zh[key])), key
        assert zh[key] != en[key] or key in {"app.name", "footer.api", "common.percent"}, key


def test_every_text_a_page_uses_exists() -> None:
    key = r"[a-z0-9_]+(?:\.[a-z0-9_]+)+"
    called = re.compile(rf"""\bt\(\s*["']({key})["']""")  # t("map.title", ...)
    named = re.compile(r"""["']((?:login|item|result|next)\.[a-z0-9_.]*[a-z0-9_])["']""")
    used: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("pages/*.py")]:
        source = path.read_text(encoding="utf-8")
        used |= set(called.findall(source)) | set(named.findall(source))
    used = {k for k in used if not k.endswith(".html")}
    # keys a template builds from a value: error.<status>.*, result.verdict.*, map.status.*
    for kind in ("401", "403", "404", "405", "409", "422", "429", "500", "503", "other"):
        used |= {f"error.{kind}.heading", f"error.{kind}.text"}
    for verdict in ("correct", "partially_correct", "incorrect", "pending"):
        used.add(f"result.verdict.{verdict}")
    used |= {f"map.status.{s}" for s in ("mastered", "ready", "waiting")}
    used |= {f"item.hint.{t}" for t in ("numeric", "expression", "text", "free_text")}
    used |= {f"tutor.reason.{r}" for r in REASONS}
    missing = sorted(k for k in used if k not in i18n.MESSAGES["en"])
    assert not missing, missing
    for lang in i18n.LANGUAGES:  # the tutor's words, handed to static/tutor.js
        setup = json.loads(_tutor_setup(lang, "c", "i", None))
        assert not [k for k, v in setup["texts"].items() if v.startswith("tutor.")]


def test_other_page_modules_add_texts_in_both_languages() -> None:
    with pytest.raises(ValueError, match="one-sided"):
        i18n.add_messages(en={"teach.x": "X"}, zh={})
    with pytest.raises(ValueError, match="already used"):
        i18n.add_messages(en={"nav.courses": "Courses"}, zh={"nav.courses": "课程"})
    i18n.add_messages(en={"test.hello": "Hello {name}"}, zh={"test.hello": "你好，{name}"})
    assert i18n.translate("zh", "test.hello", name="小明") == "你好，小明"
    assert i18n.translate("fr", "test.hello", name="Sam") == "Hello Sam"


@pytest.mark.parametrize("course", demo_course_paths(), ids=lambda p: p.name)
def test_every_citation_anchor_is_a_heading_of_the_rendered_page(course: Path) -> None:
    pack = load_pack(course)
    checked = 0
    for material in pack.materials:
        for language, body in material.body.items():
            ids = set(re.findall(r'<h[1-6] id="([^"]+)"', str(render_markdown(body))))
            for chunk in chunk_material(material.id, language, "", body):
                if chunk.anchor:
                    assert chunk.anchor in ids, (material.id, language, chunk.anchor)
                    checked += 1
    assert checked > 50


def test_repeated_and_odd_headings_get_the_searchs_anchors() -> None:
    body = (
        "# Title\n\n## Example\n\ntext\n\n## Example\n\nmore\n\n## 例题 1：减法\n\nx\n\n## !!!\n\ny"
    )
    ids = re.findall(r'id="([^"]+)"', str(render_markdown(body)))
    anchors = [c.anchor for c in chunk_material("m", "en", "", body)]
    assert ids == ["title", "example", "example-1", "例题-1减法", "section"]
    assert set(anchors) <= set(ids)
    assert "<script>" not in str(render_markdown("<script>alert(1)</script>"))


def test_the_map_puts_prerequisites_above_and_wraps_names() -> None:
    def concept(key: str, *needs: str, p: float = 0.3) -> MapConcept:
        return MapConcept(key, key.title(), list(needs), p, 0, p >= 0.8, f"/{key}")

    drawn = layout([concept("a"), concept("b", "a"), concept("c", "a"), concept("d", "b", "c")])
    y = {box.concept.key: box.y for box in drawn.boxes}
    assert y["a"] < y["b"] == y["c"] < y["d"]
    assert len(drawn.arrows) == 4
    narrow = layout([concept(k) for k in "abcde"], across=2)
    assert narrow.width < layout([concept(k) for k in "abcde"]).width
    assert len({box.y for box in narrow.boxes}) == 3

    assert wrap("Adding and subtracting fractions with unlike denominators") == [
        "Adding and",
        "subtracting fractions",
        "with unlike",
        "denominators",
    ]
    assert all(len(line) <= 11 for line in wrap("等值分数（分数的基本性质）"))
    assert wrap("x " * 100)[-1].endswith("…")
