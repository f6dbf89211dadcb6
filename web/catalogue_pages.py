"""Home, frameworks and their lots, suppliers and their listings."""

from __future__ import annotations

from math import ceil

from flask import request, url_for

from catalogue import reference
from catalogue.listings import ALL_STATUSES, ItemFilters, list_items, page_item_ids, visibility_for
from catalogue.models import Framework, FrameworkStatus, ItemKind
from service.database import get_session

from .pages import Page, blueprint, render
from .signing_in import current_principal

ALL_KINDS = frozenset(ItemKind)
PAGE_SIZE = 20
MAX_PAGE = 10_000


def page_number() -> int:
    """?page=N, or 1 for anything that is not a page number."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def _lot_counts(framework: Framework) -> dict[int, int]:
    """Published items in each lot of the framework (two small queries a lot)."""
    session = get_session()
    counts = {}
    for lot in framework.lots:
        filters = ItemFilters(kinds=ALL_KINDS, framework=framework.slug, lot=lot.number)
        counts[lot.number] = page_item_ids(session, filters, 1, 1)[1]
    return counts


@blueprint.get("/")
def home() -> Page:
    frameworks = reference.list_frameworks(get_session())
    live = [f for f in frameworks if f.status is FrameworkStatus.LIVE]
    return render(
        "home.html",
        title="Find, compare and buy GP IT systems",
        api_url="/api/v1/frameworks",
        hide_header_search=True,
        frameworks=frameworks,
        live=live,
        counts={framework.slug: _lot_counts(framework) for framework in frameworks},
    )


@blueprint.get("/frameworks")
def frameworks() -> Page:
    frameworks = reference.list_frameworks(get_session())
    return render(
        "frameworks.html",
        title="Frameworks and lots",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/frameworks",
        frameworks=frameworks,
        counts={framework.slug: _lot_counts(framework) for framework in frameworks},
    )


@blueprint.get("/frameworks/<slug>")
def framework(slug: str) -> Page:
    framework = reference.get_framework(get_session(), slug)
    return render(
        "framework.html",
        title=framework.name,
        breadcrumbs=[("Home", "/"), ("Frameworks", "/frameworks")],
        api_url=f"/api/v1/frameworks/{framework.slug}",
        framework=framework,
        counts=_lot_counts(framework),
    )


@blueprint.get("/frameworks/<slug>/lots/<int:number>")
def lot(slug: str, number: int) -> Page:
    session = get_session()
    lot = reference.get_lot(session, slug, number)
    page = page_number()
    filters = ItemFilters(
        kinds=ALL_KINDS,
        framework=slug,
        lot=number,
        visibility=visibility_for(current_principal()),
    )
    items, total = list_items(session, filters, page, PAGE_SIZE)
    return render(
        "lot.html",
        title=f"Lot {lot.number}: {lot.name}",
        breadcrumbs=[
            ("Home", "/"),
            ("Frameworks", "/frameworks"),
            (lot.framework.name, f"/frameworks/{slug}"),
        ],
        api_url=f"/api/v1/frameworks/{slug}/lots/{number}",
        lot=lot,
        items=items,
        total=total,
        page=page,
        pages=ceil(total / PAGE_SIZE),
        page_url=lambda n: url_for("web.lot", slug=slug, number=number, page=n),
        search_url=url_for("web.search", framework=slug, lot=number),
    )


@blueprint.get("/suppliers")
def suppliers() -> Page:
    page = page_number()
    suppliers, total = reference.list_suppliers(get_session(), page, PAGE_SIZE)
    return render(
        "suppliers.html",
        title="Suppliers",
        breadcrumbs=[("Home", "/")],
        api_url=f"/api/v1/suppliers?page={page}",
        suppliers=suppliers,
        total=total,
        page=page,
        pages=ceil(total / PAGE_SIZE),
        page_url=lambda n: url_for("web.suppliers", page=n),
    )


@blueprint.get("/suppliers/<int:supplier_id>")
def supplier(supplier_id: int) -> Page:
    session = get_session()
    supplier = reference.get_supplier(session, supplier_id)
    principal = current_principal()
    visibility = visibility_for(principal)
    page = page_number()
    filters = ItemFilters(kinds=ALL_KINDS, supplier_id=supplier.id, visibility=visibility)
    items, total = list_items(session, filters, page, PAGE_SIZE)
    return render(
        "supplier.html",
        title=supplier.name,
        breadcrumbs=[("Home", "/"), ("Suppliers", "/suppliers")],
        api_url=f"/api/v1/suppliers/{supplier.id}",
        supplier=supplier,
        items=items,
        total=total,
        page=page,
        pages=ceil(total / PAGE_SIZE),
        page_url=lambda n: url_for("web.supplier", supplier_id=supplier.id, page=n),
        sees_unpublished=visibility.statuses == ALL_STATUSES
        or visibility.own_supplier_id == supplier.id,
    )
