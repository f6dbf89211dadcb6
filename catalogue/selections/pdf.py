"""The selection report a CCG files, as PDF: the need, the candidates and exclusions with their
reasons, the requirements and weights, each evaluator's and the agreed scores with their
justifications, whole-life costs for the practice, the ranking with ties and its sensitivity in
words, who signed and when, and the catalogue versions that were scored.

It prints the same report (catalogue/selections/report.py) as the JSON result and the CSV and
XLSX exports, so all of them hold the same numbers. Rendered with ReportLab's platypus.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from catalogue.models import Selection

_STYLES = getSampleStyleSheet()
_BODY = _STYLES["BodyText"]
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _text(value: Any, style: ParagraphStyle = _SMALL) -> Paragraph:
    return Paragraph(escape("" if value is None else str(value)), style)


def _table(header: list[str], rows: list[list[Any]], widths: Sequence[float]) -> Table:
    cells = [[_text(h) for h in header], *[[_text(v) for v in row] for row in rows]]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(_GRID)
    return table


def _when(moment: datetime | None) -> str:
    return f"{moment:%d %B %Y %H:%M} UTC" if moment else ""


def _heading(title: str) -> list[Flowable]:
    return [Spacer(1, 4 * mm), Paragraph(escape(title), _STYLES["Heading2"])]


def _need(selection: Selection, report: dict[str, Any]) -> list[Flowable]:
    practice = selection.practice
    lots = {(c.item.kind.value, c.item.lot.number, c.item.lot.name) for c in selection.candidates}
    wanted = "; ".join(f"a {kind} on Lot {number} ({name})" for kind, number, name in sorted(lots))
    lines = [
        f"Selection {selection.id}: {selection.name} ({report['status']}).",
        f"Commissioner: {selection.commissioner.name} ({selection.commissioner.ods_code}).",
        f"Practice: {practice.name} ({practice.ods_code}), {practice.list_size or 0} "
        "registered patients.",
        f"Need: {wanted or 'no candidates yet'}, on the {selection.framework.name} framework, "
        f"over {report['term_months']} months.",
        f"Mode: {report['mode'].replace('_', ' ')}; prices as on {report['priced_on']}.",
    ]
    if report["problems"]:
        lines.append("Not complete: " + " ".join(report["problems"]))
    return [_text(line, _BODY) for line in lines]


def _candidates(selection: Selection, report: dict[str, Any]) -> list[Flowable]:
    reasons = {c["item_id"]: c["eliminated_because"] for c in report["eliminated"]}
    rows = [
        [
            c.item.name,
            c.item.supplier.name,
            "excluded" if c.item_id in reasons else "standing",
            " ".join(reasons.get(c.item_id, [])),
        ]
        for c in selection.candidates
    ]
    header = ["Candidate", "Supplier", "Standing", "Why excluded"]
    return [*_heading("Candidates and exclusions"), _table(header, rows, [40, 35, 20, 80])]


def _requirements(selection: Selection, report: dict[str, Any]) -> list[Flowable]:
    weights = {
        line["criterion_id"]: line["weight_percent"]
        for c in report["ranked"]
        for line in c["breakdown"]
    }
    groups = ", ".join(
        f"{group.replace('_', ' ')} {weight} %"
        for group, weight in report["non_price_weights"].items()
    )
    intro = _text(
        f"Price weight {report['price_weight']} %; non-price {100 - report['price_weight']} %, "
        f"split over the groups: {groups}.",
        _BODY,
    )
    rows = []
    for criterion in selection.criteria:
        if criterion.kind.is_scored:
            detail = (
                f"{criterion.criterion_group.value if criterion.criterion_group else ''}, "
                f"weight {criterion.weight} in group, {weights.get(criterion.id, '')} % overall"
            )
        else:
            detail = _must_detail(criterion.requirement.value if criterion.requirement else "")
            detail += _must_value(criterion)
        rows.append([criterion.kind.value.upper(), criterion.name, detail])
    header = ["MoSCoW", "Requirement", "Weight or test"]
    return [*_heading("Requirements and weights"), intro, _table(header, rows, [20, 60, 95])]


def _must_detail(requirement: str) -> str:
    return {
        "capability": "must hold: ",
        "min_maturity_level": "must be at least Level ",
        "max_whole_life_cost": "whole-life cost at most ",
    }.get(requirement, requirement)


def _must_value(criterion: Any) -> str:
    if criterion.capabilities:
        return ", ".join(criterion.capabilities)
    if criterion.min_maturity_level is not None:
        return str(criterion.min_maturity_level)
    if criterion.max_whole_life_cost is not None:
        return f"£{criterion.max_whole_life_cost}"
    return ""


def _scores(report: dict[str, Any]) -> list[Flowable]:
    rows = []
    for candidate in report["ranked"]:
        for line in candidate["breakdown"]:
            for evaluation in line["evaluations"]:
                rows.append(
                    [
                        candidate["name"],
                        line["name"],
                        f"{evaluation['evaluator']} ({evaluation['side']})",
                        evaluation["score"],
                        evaluation["justification"],
                    ]
                )
            spread = line["spread"]
            flag = " FLAGGED: discussed before agreeing." if line["flagged"] else ""
            rows.append(
                [
                    candidate["name"],
                    line["name"],
                    f"Agreed ({line['source']})"
                    + (f", spread {spread}" if spread is not None else ""),
                    line["score"] if line["score"] is not None else "-",
                    (line["justification"] or "") + flag,
                ]
            )
    header = ["Candidate", "Requirement", "Who", "Score", "Justification or reason"]
    note = _text(
        "Each evaluator scored apart; the agreed (moderated) score is what the ranking uses. "
        f"A spread of {report['spread_threshold']} or more between evaluators is flagged.",
        _BODY,
    )
    return [*_heading("Scores"), note, _table(header, rows, [30, 35, 35, 12, 63])]


def _costs(report: dict[str, Any]) -> list[Flowable]:
    rows = [
        [
            c["name"],
            f"£{c['whole_life_cost']['one_off']}",
            f"£{c['whole_life_cost']['recurring_per_year']}",
            f"£{c['whole_life_cost']['total']}",
            f"£{c['whole_life_cost']['central']}",
            f"£{c['whole_life_cost']['commissioner']}",
            f"£{c['whole_life_cost']['practice']}",
        ]
        for c in report["ranked"] + report["eliminated"]
    ]
    header = [
        "Candidate",
        "One-off",
        "Per year",
        "Whole life",
        "Central",
        "Commissioner",
        "Practice",
    ]
    widths = [39, 22, 22, 22, 22, 26, 22]
    return [*_heading("Whole-life costs for the practice"), _table(header, rows, widths)]


def _ranking(report: dict[str, Any]) -> list[Flowable]:
    rows = [
        [
            f"{c['rank']}{' (tied)' if c['tied'] else ''}",
            c["name"],
            c["price_score"],
            c["total_score"],
        ]
        for c in report["ranked"]
    ]
    flow: list[Flowable] = [
        *_heading("Ranked result"),
        _table(["Rank", "Candidate", "Price score", "Total (out of 5)"], rows, [25, 80, 30, 40]),
    ]
    tied = [c["name"] for c in report["ranked"] if c["tied"] and c["rank"] == 1]
    if tied:
        flow.append(_text(f"Tie for first place: {' and '.join(tied)}.", _BODY))
    if report["sensitivity"]:
        flow.append(_text(f"Sensitivity: {report['sensitivity']['explanation']}", _BODY))
    return flow


def _sign_off(selection: Selection) -> list[Flowable]:
    rows = [
        [party, by or "not signed", _when(at)]
        for party, by, at in (
            ("Commissioner", selection.commissioner_signed_by, selection.commissioner_signed_at),
            ("Practice", selection.practice_signed_by, selection.practice_signed_at),
        )
    ]
    flow: list[Flowable] = [
        *_heading("Sign-off"),
        _table(["Party", "Signed by", "When"], rows, [30, 90, 55]),
    ]
    if selection.locked_at:
        flow.append(_text(f"Locked {_when(selection.locked_at)} by {selection.locked_by}.", _BODY))
    return flow


def _versions(selection: Selection, report: dict[str, Any]) -> list[Flowable]:
    frozen = selection.snapshot is not None
    rows = [
        [c["name"], c["supplier"], c["version"], c["maturity_level"]]
        for c in report["ranked"] + report["eliminated"]
    ]
    note = (
        "The listing versions frozen in the snapshot when the selection locked."
        if frozen
        else "The current listing versions (the selection is not locked yet)."
    )
    return [
        *_heading("Catalogue versions scored"),
        _text(note, _BODY),
        _table(["Candidate", "Supplier", "Listing version", "Level"], rows, [60, 55, 30, 30]),
    ]


def to_pdf(selection: Selection, report: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Selection {selection.id}: {selection.name}",
        author=selection.commissioner.name,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
    )
    story: list[Flowable] = [
        Paragraph(escape(f"GPSoC selection report: {selection.name}"), _STYLES["Title"]),
        *_need(selection, report),
        *_candidates(selection, report),
        *_requirements(selection, report),
        *_scores(report),
        *_costs(report),
        *_ranking(report),
        *_sign_off(selection),
        *_versions(selection, report),
    ]
    document.build(story)
    return buffer.getvalue()
