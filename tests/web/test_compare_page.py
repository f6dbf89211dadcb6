"""Compare: the session's list (up to 8), the URL's, the practice's whole-life cost (the same
numbers as catalogue.selections.compare and GET /api/v1/compare), the chart, the downloads."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from web.chart import cost_per_year

from .conftest import post_form

URL = "/compare?ids=1,4,5&practice=A81001&term_months=36"


def test_items_are_added_up_to_eight(web):
    for item_id in range(1, 10):
        response = post_form(
            web, "/compare/add", {"item_id": item_id, "next": "/search"}, "/search"
        )
        assert response.status_code == 303 and response.headers["Location"] == "/search"
    body = web.get("/compare").get_data(as_text=True)
    assert "8 of up to 8 items" in body
    assert "You can compare up to 8 items" in body  # the ninth was refused, and told
    post_form(web, "/compare/remove", {"item_id": 1}, "/compare")
    assert "7 of up to 8 items" in web.get("/compare").get_data(as_text=True)
    post_form(web, "/compare/clear", {}, "/compare")
    assert "You have not chosen anything to compare" in web.get("/compare").get_data(as_text=True)


def test_a_redirect_after_adding_stays_on_this_site(web):
    response = post_form(web, "/compare/add", {"item_id": 1, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/compare"
    response = post_form(web, "/compare/add", {"item_id": 4, "next": "//evil.example/"})
    assert response.headers["Location"] == "/compare"


def test_an_unpublished_item_cannot_be_added(web):
    response = post_form(web, "/compare/add", {"item_id": 999999})
    assert response.status_code == 404


def money(text: str) -> Decimal:
    return Decimal(text.replace("£", "").replace(",", ""))


def test_costs_are_those_of_the_api(web):
    api = web.get("/api/v1/compare?ids=1,4,5&practice=A81001&term_months=36").json
    body = web.get(URL).get_data(as_text=True)
    row = re.search(r"Whole-life cost</th>(.*?)</tr>", body, re.S).group(1)
    shown = [money(m) for m in re.findall(r"<strong>(£[\d,.]+)</strong>", row)]
    assert shown == [Decimal(item["whole_life_cost"]["total"]) for item in api["items"]]
    for key, words in (
        ("central", "Centrally funded"),
        ("commissioner", "Paid by the commissioner"),
        ("practice", "Paid by the practice"),
    ):
        row = re.search(words + r"</th>(.*?)</tr>", body, re.S).group(1)
        shown = [money(m) for m in re.findall(r"(£[\d,.]+)", row)]
        assert shown == [Decimal(item["whole_life_cost"][key]) for item in api["items"]]
    assert "Cost for Riverside Medical Practice (A81001) over 36 months" in body


def test_the_chart_reads_without_colour(web):
    body = web.get(URL).get_data(as_text=True)
    svg = re.search(r'<svg[^>]*aria-labelledby="chart-title.*?</svg>', body, re.S).group(0)
    assert "<title" in svg and "<desc" in svg
    assert svg.count("Year ") >= 3
    assert 'fill="url(#hatch)"' in svg  # every other bar hatched, not only coloured
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)
    assert len(labels) == 9  # three items, three years: each bar says whose it is


def test_cost_per_year_puts_one_off_first_and_prorates_the_last_year():
    cost = {"one_off": "100.00", "recurring_per_year": "1200.00"}
    assert cost_per_year(cost, 30) == [Decimal("1300.00"), Decimal("1200.00"), Decimal("600.00")]


def test_an_unknown_practice_is_told_on_its_field(web):
    body = web.get("/compare?ids=1,4&practice=ZZZ999").get_data(as_text=True)
    assert "No practice has the ODS code ZZZ999." in body
    assert 'href="#practice"' in body and 'id="practice-error"' in body
    assert "Side by side" in body  # the comparison is still shown


def test_csv_and_xlsx_downloads_hold_the_page_numbers(web):
    api = web.get("/api/v1/compare?ids=1,4,5&practice=A81001&term_months=36").json
    totals = {item["name"]: Decimal(item["whole_life_cost"]["total"]) for item in api["items"]}

    response = web.get(URL.replace("/compare", "/compare.csv"))
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="comparison.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    from_csv = {
        row[1]: Decimal(row[10]) for row in rows if len(row) > 10 and row[2] == "Whole-life cost"
    }
    assert from_csv == totals

    response = web.get(URL.replace("/compare", "/compare.xlsx"))
    workbook = load_workbook(io.BytesIO(response.data))
    from_xlsx = {
        row[1]: Decimal(str(row[10]))
        for row in workbook["Costs"].iter_rows(min_row=2, values_only=True)
        if row[2] == "Whole-life cost"
    }
    assert from_xlsx == totals
    matrix = list(workbook["Capabilities"].iter_rows(values_only=True))
    assert matrix[0][3:] == tuple(item["name"] for item in api["items"])


def test_downloading_nothing_goes_back_to_compare(web):
    response = web.get("/compare.xlsx")
    assert response.status_code == 302 and response.headers["Location"] == "/compare"


def test_a_redirect_target_with_a_line_break_is_unsafe_and_goes_to_the_default(web):
    for url in ("/compare/add", "/compare/remove"):
        for target in ("/search\r\nSet-Cookie: x=1", "/search\nX: y", "/a\rb"):
            response = post_form(web, url, {"item_id": 1, "next": target}, "/search")
            assert response.status_code == 303, (url, target, response.status_code)
            assert response.headers["Location"] == "/compare"
    response = post_form(web, "/sign-in", {"email": "a@b.nhs.uk", "password": "x", "next": "/\r\n"})
    assert response.status_code < 500


def test_control_characters_stored_before_the_text_rule_are_dropped_from_compare_xlsx(web, db):
    from catalogue.models import CatalogueItem

    item = db.get(CatalogueItem, 1)
    item.name = "Old\x07name\x1b"  # written before the rule (or straight into the database)
    db.flush()
    response = web.get(URL.replace("/compare", "/compare.xlsx"))
    assert response.status_code == 200
    names = {
        cell
        for sheet in load_workbook(io.BytesIO(response.data)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    }
    assert "Oldname" in names
