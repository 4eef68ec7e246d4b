"""``learnloop material``: search shows where the answer is; reindex rebuilds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from learnloop.cli import cli
from learnloop.settings import get_settings


def run(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_search_prints_ranked_passages_with_their_sections(search_pack: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    imported = run("course", "import", str(search_pack))
    assert "search index of 'tiny': 9 passages (keywords only)" in imported.output

    found = run("material", "search", "tiny", "how do I find a common denominator?", "-k", "2")
    assert found.exit_code == 0, found.output
    lines = found.output.splitlines()
    assert lines[0].startswith("1. adding#different-denominators [en] score 0.0164 (bm25 #1)")
    assert lines[1].strip() == "Adding fractions › Different denominators"
    assert "lowest common multiple" in lines[2]
    assert lines[3].startswith("2. ")

    chinese = run("material", "search", "tiny", "分母也相加可以吗", "-k", "1")
    assert chinese.output.startswith("1. adding#常见错误 [zh]")
    assert "分数加法 › 常见错误" in chinese.output


def test_reindex_rebuilds_one_or_every_course(search_pack: Path) -> None:
    run("db", "upgrade")
    run("course", "import", str(search_pack))
    one = run("material", "reindex", "tiny", "--model", "none")
    assert one.exit_code == 0
    assert "search index of 'tiny': 9 passages (keywords only)" in one.output
    every = run("material", "reindex")
    assert every.exit_code == 0 and "'tiny'" in every.output


def test_errors_are_one_line(search_pack: Path) -> None:
    run("db", "upgrade")
    missing = run("material", "search", "nope", "anything")
    assert missing.exit_code == 1
    assert missing.output.strip() == "error: no course with id 'nope'; see: learnloop course list"
    run("course", "import", str(search_pack))
    nothing = run("material", "search", "tiny", "zzzz")
    assert nothing.exit_code == 0 and "no passage of 'tiny' matches 'zzzz'" in nothing.output
