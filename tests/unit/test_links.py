"""The documentation is self-contained: every link resolves inside the repository.

Checked in README.md, RELIABILITY.md, BENCHMARKS.md and every Markdown file under docs/:

* every relative link (inline ``[text](target)``, image, reference definition) names a
  file of the repository -- anchors and queries stripped -- that a fresh clone has
  (not a git-ignored one), and never escapes the repository root;
* no ``http(s)`` link leaves the repository (``PUBLIC_HOSTS`` is empty: projects we
  learnt from are named, not linked); ``mailto:`` is allowed; any other scheme is
  refused;
* no text, code spans and blocks included, points outside the repository: no
  ``../shared`` design guide, no relative path climbing above the root, no absolute path
  of somebody's machine;
* every service has its page under docs/services/, linked from the README.

(tests/unit/test_docs.py checks that docs/events.md matches ``common/contracts``.)
"""
from __future__ import annotations

import functools
import pathlib
import re
import subprocess
from urllib.parse import unquote, urlsplit

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOP_LEVEL = ("README.md", "RELIABILITY.md", "BENCHMARKS.md")

# No link to the outside world: the docs name the projects they cite.
PUBLIC_HOSTS: set[str] = set()

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]"          # [text], one level of nested brackets
    r"\(\s*(<[^>]*>|[^\s)]+)(?:\s+[\"'(][^)]*)?\s*\)")  # (target "optional title")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]+)>")
# A relative path in any text (prose, code spans, code blocks) that climbs with "../";
# ".../x" (an ellipsis) is not one.
CLIMBING_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w.\-/]*)")
OUTSIDE_TEXT = [
    (re.compile(r"\.\./shared\b|\bshared/design\.md"), "the team's design guide outside the repo"),
    (re.compile(r"(?<![\w.:/~-])/(?:work|home|Users|root|mnt|srv|opt|tmp)/[\w.\-]"),
     "an absolute path on someone's machine"),
    (re.compile(r"\bfile://"), "a file:// URL"),
]


def markdown_files() -> list[pathlib.Path]:
    files = [ROOT / name for name in TOP_LEVEL] + sorted((ROOT / "docs").rglob("*.md"))
    return [path for path in files if path.is_file()]


def doc_id(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


DOCS = markdown_files()


@functools.cache
def clone_files() -> frozenset[str] | None:
    """Files a clone would have: tracked or new, not git-ignored (None without git)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, capture_output=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name for name in listed.decode().split("\0") if name)


def without_code(text: str) -> str:
    """The Markdown minus fenced blocks and code spans (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def line_of(text: str, fragment: str) -> int:
    return text[:text.find(fragment)].count("\n") + 1 if fragment in text else 0


def links(text: str) -> list[str]:
    prose = without_code(text)
    found = [m.group(1) for m in INLINE_LINK.finditer(prose)]
    found += [m.group(1) for m in REFERENCE.finditer(prose)]
    found += [m.group(1) for m in AUTOLINK.finditer(prose)]
    return [target[1:-1] if target.startswith("<") else target for target in found]


def resolve(source: pathlib.Path, target: str) -> pathlib.Path:
    path = unquote(urlsplit(target).path)
    base = ROOT if path.startswith("/") else source.parent
    return (base / path.lstrip("/")).resolve()


def inside_repo(path: pathlib.Path) -> bool:
    return path == ROOT or ROOT in path.parents


def link_problem(source: pathlib.Path, target: str) -> str | None:
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        if host not in PUBLIC_HOSTS:
            return (f"links to {host or target}: the docs link nothing outside the "
                    f"repository (name the project instead; PUBLIC_HOSTS in this test)")
        return None
    if scheme == "mailto":
        return None
    if scheme or target.startswith("//"):
        return "uses a scheme other than http(s) or mailto"
    if not parts.path:  # "#anchor": this very file
        return None
    path = resolve(source, target)
    if not inside_repo(path):
        return "points outside the repository"
    if not path.is_file():
        return "names no file of the repository"
    files = clone_files()
    if files is not None and path.relative_to(ROOT).as_posix() not in files:
        return "names a git-ignored file, which a clone does not have"
    return None


def test_the_documents_are_there():
    for name in TOP_LEVEL:
        assert (ROOT / name).is_file(), name
    assert {doc_id(path) for path in DOCS} >= {"docs/design.md", "docs/architecture.md"}


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_link_resolves_inside_the_repository(doc):
    text = doc.read_text()
    problems = [f"{doc_id(doc)}:{line_of(text, target)}: ({target}) {problem}"
                for target in links(text)
                if (problem := link_problem(doc, target))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_no_text_points_outside_the_repository(doc):
    text = doc.read_text()
    problems = []
    for pattern, what in OUTSIDE_TEXT:
        for match in pattern.finditer(text):
            problems.append(f"{doc_id(doc)}:{line_of(text, match.group(0))}: "
                            f"{match.group(0)!r} is {what}")
    for match in CLIMBING_PATH.finditer(text):
        if not inside_repo(resolve(doc, match.group(1))):
            problems.append(f"{doc_id(doc)}:{line_of(text, match.group(0))}: "
                            f"{match.group(1)!r} climbs out of the repository")
    assert not problems, "\n".join(problems)


def services() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))


def test_every_service_has_its_page_linked_from_the_readme():
    readme_links = {resolve(ROOT / "README.md", target)
                    for target in links((ROOT / "README.md").read_text())}
    assert services(), "no services found"
    for name in services():
        page = ROOT / "docs" / "services" / f"{name}.md"
        assert page.is_file(), f"docs/services/{name}.md is missing"
        assert page.resolve() in readme_links, f"README.md does not link {doc_id(page)}"


# -- the checker itself ---------------------------------------------------------------------
def test_links_are_found_outside_code_only():
    text = ("See [a](docs/a.md#x) and ![img](<img/b c.png> \"t\").\n"
            "[ref]: ../c.md\n"
            "`[not](a-link.md)` and\n```\n[nor](this.md)\n```\n<https://github.com/x>\n")
    assert links(text) == ["docs/a.md#x", "img/b c.png", "../c.md", "https://github.com/x"]


@pytest.mark.parametrize("target, problem", [
    ("docs/design.md", None),
    ("docs/design.md#context-map", None),
    ("#layout", None),
    ("https://github.com/nameko/nameko", "links to github.com"),
    ("mailto:ops@example.com", None),
    ("../shared/design.md", "points outside the repository"),
    ("docs/nowhere.md", "names no file of the repository"),
    ("docs", "names no file of the repository"),
    ("http://localhost:8000/api/v1", "links to localhost"),
    ("https://intranet.example.com/x", "links to intranet.example.com"),
    ("file:///etc/passwd", "uses a scheme other than http(s) or mailto"),
])
def test_link_checker_verdicts(target, problem):
    verdict = link_problem(ROOT / "README.md", target)
    if problem is None:
        assert verdict is None
    else:
        assert verdict is not None and verdict.startswith(problem), verdict


def test_a_git_ignored_file_is_not_a_valid_target():
    ignored = ".venv/pyvenv.cfg"
    if not (ROOT / ignored).is_file() or clone_files() is None:
        pytest.skip("needs the local venv and git")
    assert link_problem(ROOT / "README.md", ignored) == \
        "names a git-ignored file, which a clone does not have"


def test_text_checks_catch_paths_out_of_the_repository():
    text = "the guide (`../shared/design.md`), /work/shared/x and ../../../etc; .../activate"
    hits = [what for pattern, what in OUTSIDE_TEXT if pattern.search(text)]
    assert len(hits) == 2
    climbing = [m.group(1) for m in CLIMBING_PATH.finditer(text)]
    assert climbing == ["../shared/design.md", "../../../etc"]
    assert not inside_repo(resolve(ROOT / "README.md", "../../../etc"))
