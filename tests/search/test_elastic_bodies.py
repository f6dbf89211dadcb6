"""The Elasticsearch engine's mapping and request bodies, built without a server."""

from datetime import date
from decimal import Decimal

from search.documents import SearchDocument
from search.elastic import (
    ANALYZER,
    SERVING_SETTINGS,
    alias_swap_actions,
    build_index_body,
    bulk_actions,
    fuzzable,
    index_body,
    search_body,
    to_source,
)
from search.query import SearchQuery, Sort


def document(**overrides) -> SearchDocument:
    values = dict(
        id=7,
        kind="system",
        name="SystmOne",
        summary="Hosted.",
        description="A shared record.",
        status="published",
        hosting="hosted",
        category=None,
        maturity_level=3,
        supplier_id=2,
        supplier_name="TPP",
        framework="gpsoc-r",
        framework_name="GPSoC-R",
        lot=1,
        lot_name="GP clinical IT systems",
        capabilities=("eps", "gp2gp"),
        capability_names=("Electronic Prescription Service", "GP2GP record transfer"),
        prices=(),
        annual_price=Decimal("4250.00"),
    )
    return SearchDocument(**(values | overrides))


def test_the_mapping_is_explicit_with_english_text_keyword_filters_and_numeric_prices():
    body = index_body()
    properties = body["mappings"]["properties"]
    assert body["mappings"]["dynamic"] == "strict"
    assert set(properties) == {*to_source(document()), "matchable"}  # matchable: copy_to
    for field in ("name", "summary", "description", "capability_names", "supplier_name"):
        assert properties[field] == {"type": "text", "analyzer": ANALYZER} | (
            {} if field == "description" else {"copy_to": "matchable"}
        )
    for field in ("kind", "hosting", "framework", "capabilities", "supplier_facet"):
        assert properties[field]["type"] == "keyword"
    assert properties["annual_price"] == {"type": "scaled_float", "scaling_factor": 10000}
    assert properties["payload"] == {"type": "object", "enabled": False}
    analyzer = body["settings"]["analysis"]["analyzer"][ANALYZER]
    assert analyzer["filter"][-1] == "english_stemmer"


def test_bulk_actions_index_and_delete_by_item_id():
    actions = bulk_actions("catalogue", [document()], [9])
    assert actions[0] == {"_op_type": "delete", "_index": "catalogue", "_id": "9"}
    assert actions[1]["_op_type"] == "index" and actions[1]["_id"] == "7"
    assert actions[1]["_source"]["annual_price"] == 4250.0
    assert actions[1]["_source"]["capability_facets"][0] == (
        "eps\x1fElectronic Prescription Service"
    )


def test_words_must_match_with_typos_allowed_and_boosted_fields_score():
    body = search_body(SearchQuery("emis wbe"), fuzzy=True)
    query = body["query"]["bool"]
    assert query["filter"] == [
        {"match": {"matchable": {"query": w, "operator": "and", "fuzziness": "AUTO:3,8"}}}
        for w in ("emis", "wbe")
    ]
    multi = next(c["multi_match"] for c in query["should"] if "multi_match" in c)
    assert "name^5.0" in multi["fields"] and "description^1.0" in multi["fields"]
    assert body["sort"] == ["_score", {"id": {"order": "asc"}}]
    assert body["highlight"]["pre_tags"] == ["<mark>"]


def test_words_match_exactly_first():
    query = search_body(SearchQuery("emis wbe"))["query"]["bool"]
    assert query["filter"] == [
        {"match": {"matchable": {"query": w, "operator": "and"}}} for w in ("emis", "wbe")
    ]
    assert not any("fuzziness" in str(clause) for clause in query["should"])
    assert {"term": {"name_sort": {"value": "emis wbe", "boost": 6.0}}} in query["should"]
    assert fuzzable(SearchQuery("emis wbe")) and not fuzzable(SearchQuery("gp"))


def test_a_facet_aggregation_takes_every_filter_but_its_own():
    body = search_body(SearchQuery("eps", lot=1, capabilities=("eps", "gp2gp"), page=2))
    lot_filter = {"term": {"lot": 1}}
    capability_filter = {
        "bool": {"filter": [{"term": {"capabilities": "eps"}}, {"term": {"capabilities": "gp2gp"}}]}
    }
    assert body["post_filter"] == {"bool": {"filter": [lot_filter, capability_filter]}}
    assert body["aggs"]["lot"]["filter"] == {"bool": {"filter": [capability_filter]}}
    assert body["aggs"]["capability"]["filter"] == {"bool": {"filter": [lot_filter]}}
    assert body["aggs"]["kind"]["filter"] == {"bool": {"filter": [lot_filter, capability_filter]}}
    assert body["aggs"]["supplier"]["aggs"]["values"]["terms"]["field"] == "supplier_facet"
    assert (body["from"], body["size"]) == (20, 20)


def test_price_sort_and_filter_and_browsing_without_text():
    body = search_body(SearchQuery(price_max=Decimal("4000"), sort=Sort.PRICE))
    assert body["query"] == {"match_all": {}}
    assert body["sort"][0] == {"annual_price": {"order": "asc", "missing": "_last"}}
    assert body["post_filter"]["bool"]["filter"] == [{"range": {"annual_price": {"lte": 4000.0}}}]
    assert "highlight" not in body
    assert search_body(SearchQuery())["sort"][0] == {"name_sort": {"order": "asc"}}


def test_planned_to_reach_a_level_by_a_date_is_one_range_applied_to_every_facet():
    body = search_body(SearchQuery(planned_level=2, planned_by=date(2027, 6, 30), lot=1))
    planned = {"range": {"planned_level_by": {"gte": 200_000_000, "lte": 220_270_630}}}
    assert planned in body["post_filter"]["bool"]["filter"]
    assert planned in body["aggs"]["lot"]["filter"]["bool"]["filter"]  # not a facet's filter
    any_day = search_body(SearchQuery(planned_level=3))["post_filter"]["bool"]["filter"]
    assert any_day == [{"range": {"planned_level_by": {"gte": 300_000_000, "lte": 399_999_999}}}]


def test_an_index_is_built_without_refreshes_or_replicas_and_served_with_them():
    building = build_index_body()["settings"]
    assert (building["refresh_interval"], building["number_of_replicas"]) == ("-1", 0)
    assert "auto_expand_replicas" not in building
    assert building["analysis"] == index_body()["settings"]["analysis"]
    assert (
        SERVING_SETTINGS["auto_expand_replicas"] == index_body()["settings"]["auto_expand_replicas"]
    )


def test_the_alias_swap_is_one_atomic_update():
    assert alias_swap_actions("catalogue", "catalogue-2", ["catalogue-1"]) == [
        {"remove": {"index": "catalogue-1", "alias": "catalogue"}},
        {"add": {"index": "catalogue-2", "alias": "catalogue"}},
    ]
