"""Course packs: folders of YAML and Markdown that authors write (docs/course-packs.md).

``load_pack`` reads one into a ``CoursePack`` or raises ``CoursePackError`` with every problem;
``validate_pack`` returns the problems instead; ``export_pack`` writes a pack back out.
"""

from __future__ import annotations

from learnloop.courses.export import export_pack
from learnloop.courses.loader import load_pack, read_pack, validate_pack

__all__ = ["export_pack", "load_pack", "read_pack", "validate_pack"]
