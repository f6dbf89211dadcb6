import io

import pytest
from openpyxl import Workbook, load_workbook

from catalogue.spreadsheets import csv_text, keep_as_text


@pytest.mark.parametrize("risky", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_risky_csv_text_is_quoted(risky):
    assert csv_text(risky) == "'" + risky


@pytest.mark.parametrize("plain", ["EMIS Web", "3427.72", "", None, 12, "a=b"])
def test_plain_values_are_left_alone(plain):
    assert csv_text(plain) == plain


def test_xlsx_text_that_looks_like_a_formula_is_stored_as_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(['=HYPERLINK("http://x","y")', "plain", 3])
    keep_as_text(sheet[1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell, plain, number = load_workbook(io.BytesIO(buffer.getvalue())).active[1]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://x","y")')
    assert plain.value == "plain" and number.value == 3
