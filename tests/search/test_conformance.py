"""One contract, every engine: relevance, filters, facets, pagination, sorting, freshness.

Runs on the embedded engine always, and on Elasticsearch when ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue import reference
from catalogue.maturity import refresh_derived_fields
from catalogue.models import (
    Capability,
    CatalogueItem,
    FrameworkStatus,
    Hosting,
    ItemKind,
    ItemStatus,
    PriceTier,
    RoadmapEntry,
    ServiceCategory,
    Supplier,
)
from catalogue.principal import CONSOLE
from search import Facet, QuerySyntaxError, SearchQuery, Sort, drain_outbox, reindex
from search.query import MAX_RESULT_WINDOW
from tests.factories import item


def search(engine, text: str = "", **filters):
    filters.setdefault("page_size", 100)
    return engine.search(SearchQuery(text, **filters))


def names(results) -> list[str]:
    return [hit.document["name"] for hit in results.hits]


def codes(hit) -> set[str]:
    return {capability["code"] for capability in hit.document["capabilities"]}


def published_count(db) -> int:
    return len(
        db.scalars(select(CatalogueItem.id).where(CatalogueItem.status == "published")).all()
    )


class TestRelevance:
    def test_a_misspelt_name_finds_the_system_first(self, indexed):
        assert names(search(indexed, "sistmone"))[0] == "SystmOne"

    def test_transposed_letters_are_forgiven(self, indexed):
        assert names(search(indexed, "emis wbe"))[0] == "EMIS Web"

    def test_english_stemming_matches_other_forms_of_a_word(self, indexed):
        found = search(indexed, "prescriptions")
        assert "SystmOne" in names(found)  # "Electronic Prescription Service"

    def test_capability_names_are_searchable(self, indexed, db):
        found = search(indexed, "electronic prescription")
        assert found.total > 0
        assert all("eps" in codes(hit) for hit in found.hits)
        assert "EMIS Web" in names(found)

    def test_a_description_alone_does_not_make_a_match(self, indexed):
        # Training courses mention electronic prescribing; only EPS systems match.
        found = search(indexed, "electronic prescribing", lot=1)
        assert found.total == 9
        assert all("eps" in codes(hit) and hit.document["lot"] == 1 for hit in found.hits)

    def test_a_match_in_the_name_outranks_one_in_the_summary(self, indexed):
        ranked = names(search(indexed, "migration"))
        in_name = [("migration" in name.lower()) for name in ranked]
        assert in_name[0] and in_name == sorted(in_name, reverse=True)

    def test_phrases_and_exclusions(self, indexed):
        found = names(search(indexed, '"audit trail" -emis'))
        assert found and all("audit trail" in name and "EMIS" not in name for name in found)

    def test_highlights_mark_the_matched_words(self, indexed):
        hit = search(indexed, "systmone").hits[0]
        assert "<mark>SystmOne</mark>" in hit.highlights["name"][0]

    def test_an_unparseable_query_is_a_syntax_error(self, indexed):
        with pytest.raises(QuerySyntaxError):
            search(indexed, '"never closed')

    def test_no_text_lists_everything_by_name(self, indexed, db):
        found = search(indexed)
        assert found.total == published_count(db)
        assert names(found) == sorted(names(found), key=str.casefold)
        assert all(hit.score is None for hit in found.hits)


class TestFilters:
    def test_lot_kind_and_hosting(self, indexed):
        found = search(indexed, lot=1, kind="system", hosting="hosted")
        assert found.total > 0
        for hit in found.hits:
            assert (hit.document["lot"], hit.document["kind"]) == (1, "system")
            assert hit.document["hosting"] == "hosted"

    def test_every_capability_must_hold(self, indexed):
        found = search(indexed, capabilities=("eps", "gp2gp", "cross-care-record-sharing"))
        assert names(found) == ["SystmOne"]

    def test_supplier_and_minimum_maturity_level(self, indexed, db):
        tpp = db.scalars(select(Supplier).where(Supplier.slug == "tpp")).one()
        found = search(indexed, supplier_id=tpp.id, min_maturity_level=3)
        assert names(found) == ["SystmOne"]

    def test_price_max_uses_the_yearly_cost_per_practice(self, indexed):
        found = search(indexed, price_max=Decimal("4000"))
        assert found.total > 0
        assert all(Decimal(hit.document["annual_price"]) <= 4000 for hit in found.hits)
        assert "EMIS Web" not in names(found)  # 3,427.72 + 204.00 + 665.08 a year
        assert "EMIS Web" in names(search(indexed, price_max=Decimal("4296.80")))

    def test_items_of_an_expired_framework_are_not_searchable(self, indexed):
        assert search(indexed, framework="gpsoc").total == 0
        assert search(indexed, framework="gpsoc-r").total > 0


class TestFacets:
    def test_counts_add_up_to_the_total(self, indexed):
        found = search(indexed, "electronic prescribing", lot=1)
        for facet in (Facet.KIND, Facet.SUPPLIER, Facet.HOSTING, Facet.MATURITY_LEVEL):
            assert sum(entry.count for entry in found.facets[facet.value]) == found.total
        assert {(e.value, e.count) for e in found.facets["lot"]} == {(1, found.total)}

    def test_a_facet_ignores_its_own_filter_and_applies_the_others(self, indexed):
        found = search(indexed, lot=2, kind="service")
        lots = {entry.value: entry.count for entry in found.facets["lot"]}
        assert lots[2] == found.total
        assert lots[1] == search(indexed, lot=1, kind="service").total
        kinds = {entry.value: entry.count for entry in found.facets["kind"]}
        assert kinds == {"service": found.total}  # lot 2 holds services only

    def test_every_filter_applies_to_the_other_facets(self, indexed):
        found = search(indexed, "record", capabilities=("eps", "gp2gp"), min_maturity_level=2)
        assert found.total > 0
        for facet in (Facet.LOT, Facet.KIND, Facet.SUPPLIER, Facet.HOSTING):
            assert sum(entry.count for entry in found.facets[facet.value]) == found.total
        capabilities = {entry.value: entry.count for entry in found.facets["capability"]}
        only_eps = search(indexed, "record", capabilities=("eps",), min_maturity_level=2)
        assert capabilities["eps"] == only_eps.total  # the capability filter is ignored
        levels = {entry.value: entry.count for entry in found.facets["maturity_level"]}
        without_level = search(indexed, "record", capabilities=("eps", "gp2gp"))
        assert sum(levels.values()) == without_level.total

    def test_filter_values_are_never_query_syntax(self, indexed):
        found = search(indexed, lot=1, capabilities=('x" OR "eps',), framework="gpsoc-r\\")
        assert found.total == 0 and found.hits == []
        assert found.facets["lot"] == [] and found.facets["capability"] == []
        found = search(indexed, lot=1, capabilities=('x" OR "eps',))
        capabilities = {entry.value: entry.count for entry in found.facets["capability"]}
        assert capabilities["eps"] == search(indexed, lot=1, capabilities=("eps",)).total

    def test_facets_carry_labels(self, indexed):
        found = search(indexed, "systmone")
        suppliers = {entry.label for entry in found.facets["supplier"]}
        assert "TPP" in suppliers
        capabilities = {entry.value: entry.label for entry in found.facets["capability"]}
        assert capabilities["eps"] == "Electronic Prescription Service (ETP/EPS)"


class TestPagingAndSorting:
    def test_pages_partition_the_results(self, indexed):
        whole = search(indexed, page_size=100)
        pages = [search(indexed, page=page, page_size=7) for page in range(1, 8)]
        ids = [hit.id for page in pages for hit in page.hits]
        assert ids == [hit.id for hit in whole.hits]
        assert {page.total for page in pages} == {whole.total}

    def test_the_deepest_page_the_api_allows_answers_on_every_engine(self, indexed, db):
        # page x page_size is capped at MAX_RESULT_WINDOW (Elasticsearch's index window).
        deepest = search(indexed, page=MAX_RESULT_WINDOW // 100, page_size=100)
        assert deepest.total == published_count(db) and deepest.hits == []
        assert all(sum(e.count for e in deepest.facets[f]) > 0 for f in ("lot", "kind"))

    def test_sort_by_name(self, indexed):
        ranked = names(search(indexed, "emis", sort=Sort.NAME))
        assert ranked == sorted(ranked, key=str.casefold)

    def test_sort_by_price_puts_unpriced_items_last(self, indexed):
        prices = [hit.document["annual_price"] for hit in search(indexed, sort=Sort.PRICE).hits]
        priced = [Decimal(price) for price in prices if price is not None]
        assert priced == sorted(priced)
        assert prices == [*prices[: len(priced)], *[None] * (len(prices) - len(priced))]


class TestPlannedLevels:
    """ "Planned to reach Level N by a date": items below the level whose roadmap reaches it."""

    @pytest.fixture
    def planned(self, indexed, db, drain_lock, session_factory):
        capability = {c.code: c for c in db.scalars(select(Capability))}
        # Practice Manager II loses EPS (Level 1) and its supplier plans it back for mid-2027.
        manager = item(db, "practice-manager-ii")
        manager.capabilities.remove(capability["eps"])
        refresh_derived_fields(db, [manager])
        manager.roadmap.append(
            RoadmapEntry(capability=capability["eps"], target_date=date(2027, 6, 30))
        )
        # Synergy and Evolution (Level 2) plan GP2GP, Level 3: Synergy sooner.
        planning = [item(db, "synergy"), item(db, "evolution")]
        for system, target in zip(planning, (date(2027, 9, 30), date(2028, 3, 31)), strict=True):
            system.roadmap.append(RoadmapEntry(capability=capability["gp2gp"], target_date=target))
        db.flush()
        report = drain_outbox(indexed, drain_lock, session_factory, session_factory)
        assert report.failed == 0
        return indexed

    def test_planned_to_reach_level_2_by_a_date(self, planned):
        assert names(search(planned, planned_level=2)) == ["Practice Manager II"]
        assert names(search(planned, planned_level=2, planned_by=date(2027, 6, 30))) == [
            "Practice Manager II"
        ]
        assert search(planned, planned_level=2, planned_by=date(2027, 6, 29)).total == 0
        [hit] = search(planned, planned_level=2).hits
        assert hit.document["maturity_level"] == 1
        assert hit.document["planned_levels"] == [{"level": 2, "by": "2027-06-30"}]

    def test_a_level_needs_every_missing_capability_planned(self, planned):
        # Practice Manager II plans EPS but not GP2GP: it is not planned to reach Level 3.
        assert names(search(planned, planned_level=3)) == ["Evolution", "Synergy"]
        assert names(search(planned, planned_level=3, planned_by=date(2027, 12, 31))) == ["Synergy"]

    def test_the_filter_combines_with_text_and_leaves_the_facets_consistent(self, planned):
        found = search(planned, "evolution", planned_level=3)
        assert names(found) == ["Evolution"]
        assert sum(bucket.count for bucket in found.facets["kind"]) == 1


class TestStayingInStep:
    def drain(self, engine, drain_lock, session_factory):
        report = drain_outbox(engine, drain_lock, session_factory, session_factory)
        assert report.failed == 0
        return report

    def test_a_change_is_searchable_after_the_drain(self, indexed, db, drain_lock, session_factory):
        item(db, "synergy").name = "Synergy Quasar"
        db.flush()
        assert search(indexed, "quasar").total == 0  # not yet drained
        self.drain(indexed, drain_lock, session_factory)
        assert names(search(indexed, "quasar")) == ["Synergy Quasar"]

    def test_a_price_change_is_searchable(self, indexed, db, drain_lock, session_factory):
        systmone = item(db, "systmone")
        licence = next(price for price in systmone.prices if price.name.endswith("licence"))
        tier: PriceTier = licence.tiers[0]
        tier.amount = Decimal("1.50")
        db.flush()
        self.drain(indexed, drain_lock, session_factory)
        found = search(indexed, "systmone", price_max=Decimal("1000"))
        assert "SystmOne" in names(found)

    def test_withdrawing_deletes_the_document(self, indexed, db, drain_lock, session_factory):
        item(db, "systmone").status = ItemStatus.WITHDRAWN
        db.flush()
        self.drain(indexed, drain_lock, session_factory)
        assert "SystmOne" not in names(search(indexed, "systmone"))

    def test_renaming_a_supplier_reindexes_its_items(
        self, indexed, db, drain_lock, session_factory
    ):
        tpp = db.scalars(select(Supplier).where(Supplier.slug == "tpp")).one()
        tpp.name = "The Phoenix Partnership"
        db.flush()
        self.drain(indexed, drain_lock, session_factory)
        found = search(indexed, "phoenix")
        assert "SystmOne" in names(found)
        assert all(hit.document["supplier"]["name"] == tpp.name for hit in found.hits)

    def test_only_items_of_live_frameworks_are_searchable(
        self, indexed, db, drain_lock, session_factory
    ):
        """DESIGN: only published items of live frameworks are searchable by the public. An
        item of a framework that is open (or coming) has no document, in the drain and in a
        full rebuild, and gets one when the framework goes live."""
        searchable = search(indexed).total
        framework = reference.create_framework(
            db,
            CONSOLE,
            {
                "slug": "gp-it-futures",
                "name": "GP IT Futures",
                "start_date": date(2030, 1, 1),
                "end_date": date(2034, 12, 31),
                "max_term_months": 48,
                "funding_types": ["central", "commissioner"],
            },
        )
        reference.transition_framework(db, CONSOLE, framework, "open")
        lot = reference.create_lot(
            db,
            CONSOLE,
            framework,
            {"number": 1, "name": "Patient arrival", "default_funding": "commissioner"},
        )
        tpp = db.scalars(select(Supplier).where(Supplier.slug == "tpp")).one()
        db.add(
            CatalogueItem(
                slug="quillon-kiosk",
                kind=ItemKind.SERVICE,
                name="Quillon kiosk",
                summary="A patient arrival kiosk.",
                supplier=tpp,
                lot=lot,
                category=ServiceCategory.HARDWARE,
                hosting=Hosting.PRACTICE_BASED,
                status=ItemStatus.PUBLISHED,
            )
        )
        db.flush()
        assert framework.status is FrameworkStatus.OPEN
        self.drain(indexed, drain_lock, session_factory)
        assert search(indexed, "quillon").total == 0
        assert search(indexed, framework="gp-it-futures").total == 0
        reindex(indexed, drain_lock, session_factory, session_factory)
        assert search(indexed, "quillon").total == 0
        assert search(indexed).total == searchable

        reference.transition_framework(db, CONSOLE, framework, "go-live")
        assert self.drain(indexed, drain_lock, session_factory).indexed == 1
        assert names(search(indexed, "quillon")) == ["Quillon kiosk"]
        assert names(search(indexed, framework="gp-it-futures")) == ["Quillon kiosk"]
        reindex(indexed, drain_lock, session_factory, session_factory)
        assert search(indexed).total == searchable + 1
