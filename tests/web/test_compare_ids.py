"""Compared ids in the compare page's address: anything but whole numbers is refused as a page,
never an error."""

from __future__ import annotations


def test_a_superscript_digit_in_compared_ids_is_a_page_not_an_error(web):
    # "²".isdigit() is true but int("²") fails: the page must refuse it as it refuses "x".
    assert web.get("/compare", query_string={"ids": "²"}).status_code == 200
