"""Pages with cursors on the stack's Firestore emulator, as Firestore serves them: ordered by the
fields then by document name, each page after the last one's document, none repeated or skipped
— ties, filters and both directions included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mats.adapters.firestore.documents import Documents
from mats.errors import ValidationError
from tests.conftest import Stack, unique

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    n: int
    at: datetime
    group: str


@pytest.fixture
def rows(stack: Stack, services: Any) -> Documents[Row]:
    documents = Documents(services.firestore, unique("cursor_rows"), Row)
    for n in range(11):
        # Three rows share each moment: pages must break the ties by document name.
        documents.put(
            f"r{n:02d}", Row(n, BASE + timedelta(seconds=n // 3), "odd" if n % 2 else "even")
        )
    return documents


def every_page(documents: Documents[Row], limit: int, **query: Any) -> list[list[int]]:
    pages, after = [], None
    for _ in range(50):
        items, after = documents.page(limit=limit, after=after, **query)
        pages.append([row.n for row in items])
        if after is None:
            return pages
    raise AssertionError("the pages never ended")


def test_pages_descending_with_ties_cover_every_row_once_in_firestores_order(
    rows: Documents[Row],
) -> None:
    pages = every_page(rows, 4, order_by="at", descending=True)

    # Descending: the name tie-break runs descending too (r10, r09 before r08...).
    assert pages == [[10, 9, 8, 7], [6, 5, 4, 3], [2, 1, 0]]


def test_pages_ascending_and_filtered(rows: Documents[Row]) -> None:
    assert every_page(rows, 3, order_by="at") == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]
    odd = every_page(rows, 2, filters=[("group", "==", "odd")], order_by="n", descending=True)
    assert odd == [[9, 7], [5, 3], [1]]


def test_a_page_of_exactly_the_rest_says_it_is_the_last(rows: Documents[Row]) -> None:
    assert every_page(rows, 11, order_by="n") == [list(range(11))]


def test_a_cursor_naming_no_document_is_refused(rows: Documents[Row]) -> None:
    with pytest.raises(ValidationError) as refused:
        rows.page(order_by="n", limit=2, after="r99")

    assert refused.value.field == "cursor"


def test_start_at_and_end_before_offsets_and_counts_as_firestore_has_them(
    rows: Documents[Row],
) -> None:
    query = rows.collection.order_by("n")
    third = rows.ref("r03").get()
    seventh = rows.ref("r07").get()

    assert [s.id for s in query.start_at(third).end_before(seventh).stream()] == [
        "r03",
        "r04",
        "r05",
        "r06",
    ]
    assert [s.id for s in query.start_after(third).end_at(seventh).stream()] == [
        "r04",
        "r05",
        "r06",
        "r07",
    ]
    assert [s.id for s in query.offset(9).stream()] == ["r09", "r10"]
    assert query.start_after(third).count().get()[0][0].value == 7
