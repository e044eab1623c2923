"""Every normative sentence of docs/*.md is quoted, verbatim, by a test that checks it.

The docs are the specification, so a rule they state without a test is a promise nobody keeps.

**What is normative.** A sentence of prose in docs/*.md (outside fenced code blocks, headings and
table rows; a list item is prose) that contains one of the words in `NORMATIVE_WORDS` -- must,
never, always, refused, refuses -- as a whole word, in any case, outside `code spans` (an SQL
keyword such as GENERATED ALWAYS states no rule). Those are the words the docs use
to state a rule that holds every time, or a refusal a caller can rely on. Sentences end at `.`, `!`
or `?` followed by a space and a capital letter, a backtick, a parenthesis, a quote or `*`; line
breaks inside a paragraph are spaces.

**How a test covers one.** The test carries `@pytest.mark.rule("<the sentence>")` (the marker is
registered in pyproject.toml), with the sentence copied verbatim from the doc, markdown included;
only runs of whitespace may differ. A quote may hold several consecutive sentences of one
paragraph; each of them is then covered. Quotes are read from the test files' syntax trees, so a
test is found without running it. Every quote must still be found in the docs: a sentence rewritten
in the docs fails here until its test is updated with it.

A sentence that is not true is made true in the code, or rewritten (with the reason in the commit):
it is never left uncovered.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
NORMATIVE_WORDS = ("must", "never", "always", "refused", "refuses")
_NORMATIVE = re.compile(r"\b(?:" + "|".join(NORMATIVE_WORDS) + r")\b", re.IGNORECASE)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'*])")
_CODE_SPAN = re.compile(r"`[^`]*`")


def _space(text: str) -> str:
    return " ".join(text.split())


def paragraphs(markdown: str) -> Iterator[str]:
    """The prose paragraphs of a markdown text: no code blocks, headings or table rows; one per list item."""
    current: list[str] = []
    for line in _FENCE.sub("", markdown).splitlines():
        stripped = line.strip()
        starts_item = bool(_LIST_ITEM.match(line))
        if not stripped or stripped.startswith(("#", "|", "<!--")) or starts_item:
            if current:
                yield _space(" ".join(current))
            current = []
            if starts_item:
                current.append(_LIST_ITEM.sub("", line))
            continue
        current.append(stripped)
    if current:
        yield _space(" ".join(current))


def _split(paragraph: str) -> Iterator[str]:
    spans = _CODE_SPAN.findall(paragraph)
    hidden = _CODE_SPAN.sub("`\0`", paragraph)  # a code span never ends a sentence (`ALTER TABLE ... ROW`)
    for sentence in _SENTENCE_END.split(hidden):
        parts = sentence.split("`\0`")
        yield parts[0] + "".join(spans.pop(0) + rest for rest in parts[1:])


def sentences(markdown: str) -> Iterator[str]:
    for paragraph in paragraphs(markdown):
        yield from (s for s in _split(paragraph) if s)


def normative_sentences(markdown: str) -> list[str]:
    return [s for s in sentences(markdown) if _NORMATIVE.search(_CODE_SPAN.sub("", s))]


def _is_rule_marker(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "rule" and ast.unparse(node.value).endswith("mark")


def quotes_in(source: str) -> Iterator[str]:
    """The sentences a test module quotes with `pytest.mark.rule("...")` (also in `pytestmark`)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _is_rule_marker(node.func):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield _space(arg.value)


def uncovered(docs: dict[str, str], quotes: Iterable[str]) -> list[str]:
    """`doc: sentence` for every normative sentence that no quote contains."""
    quoted = list(quotes)
    return [
        f"{name}: {sentence}"
        for name, text in docs.items()
        for sentence in normative_sentences(text)
        if not any(sentence in quote for quote in quoted)
    ]


def stale(docs: dict[str, str], quotes: Iterable[str]) -> list[str]:
    """Quotes found in no doc's prose (the sentence was rewritten, or never there)."""
    prose = [" ".join(paragraphs(text)) for text in docs.values()]
    return [quote for quote in quotes if not any(quote in p for p in prose)]


def _docs() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}


def _quotes() -> list[str]:
    return [q for path in sorted(TESTS.rglob("*.py")) for q in quotes_in(path.read_text(encoding="utf-8"))]


def test_every_normative_sentence_of_the_docs_is_quoted_by_a_test() -> None:
    missing = uncovered(_docs(), _quotes())
    assert not missing, f"{len(missing)} normative sentence(s) without a covering test:\n" + "\n".join(missing)


def test_every_quoted_sentence_is_still_in_the_docs() -> None:
    gone = stale(_docs(), _quotes())
    assert not gone, "quoted by a test but found in no doc:\n" + "\n".join(gone)


SAMPLE = """# A page

Intro text with no rule. Amounts must be positive (`ValidationError` otherwise).

```python
x = 1  # this must not count: it is code
```

| a table row that must not count |
|---|

- a list item that is never empty;
- another item.
"""


@pytest.mark.rule(
    "A sentence of prose in docs/*.md (outside code blocks, headings and table rows; a list item counts as "
    'prose) that contains "must", "never", "always", "refused" or "refuses" as a word, outside a code span, '
    "is normative, and `tests/e2e/test_normative_sentences.py` fails, listing it, until a test carries "
    '`@pytest.mark.rule("<the sentence, verbatim>")`.'
)
@pytest.mark.parametrize(
    ("quotes", "expected"),
    [
        (
            [],
            [
                "page.md: Amounts must be positive (`ValidationError` otherwise).",
                "page.md: a list item that is never empty;",
            ],
        ),
        (["Amounts must be positive (`ValidationError` otherwise)."], ["page.md: a list item that is never empty;"]),
        (
            [
                "Intro text with no rule. Amounts must be positive (`ValidationError` otherwise).",
                "a list item that is never empty;",
            ],
            [],
        ),
    ],
)
def test_the_check_fails_on_a_sentence_without_a_quote(quotes: list[str], expected: list[str]) -> None:
    assert uncovered({"page.md": SAMPLE}, quotes) == expected


def test_quotes_are_read_from_markers_and_stale_ones_are_reported() -> None:
    source = 'import pytest\n\n@pytest.mark.rule("Amounts  must "\n "be positive")\ndef test_x() -> None: ...\n'
    assert list(quotes_in(source)) == ["Amounts must be positive"]
    assert stale({"page.md": SAMPLE}, ["Amounts must be positive", "x = 1"]) == ["x = 1"]
