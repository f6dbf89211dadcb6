"""The embedded engine's tantivy schema, analyzer and documents."""

from __future__ import annotations

from pathlib import Path

import orjson
import tantivy
from tantivy import Document, Filter, Index, SchemaBuilder, TextAnalyzerBuilder, Tokenizer

from .documents import SearchDocument
from .engine import ENGLISH_STOP_WORDS

ANALYZER = "gpsoc_en"
# Words must match in these fields; the description only adds to the score (see README).
MATCHABLE = "matchable"


def analyzer() -> tantivy.TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.custom_stopword(ENGLISH_STOP_WORDS))
        .filter(Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("name", "summary", "description", "capability_names"):
        builder.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    for name in ("supplier_name", "lot_name", "framework_name", MATCHABLE):
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    for name in ("kind", "hosting", "framework", "capabilities"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("framework_facet", "supplier_facet", "capability_facets", "name_sort"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("lot", "maturity_level", "supplier_id"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_float_field("annual_price", indexed=True, fast=True)
    builder.add_integer_field("planned_level_by", indexed=True)
    builder.add_bytes_field("payload", stored=True)
    builder.add_text_field("fingerprint", stored=True, tokenizer_name="raw")
    return builder.build()


SCHEMA = _schema()


def to_tantivy(document: SearchDocument) -> Document:
    # One call with every field (Document.from_dict) costs less than a call per value.
    capability_names = list(document.capability_names)
    fields = {
        "id": document.id,
        "name": document.name,
        "summary": document.summary,
        "description": document.description,
        "capability_names": capability_names,
        "supplier_name": document.supplier_name,
        "lot_name": document.lot_name,
        "framework_name": document.framework_name,
        MATCHABLE: [
            document.name,
            document.summary,
            document.supplier_name,
            document.lot_name,
            document.framework_name,
            *capability_names,
        ],
        "kind": document.kind,
        "hosting": document.hosting,
        "framework": document.framework,
        "framework_facet": document.framework_facet,
        "supplier_facet": document.supplier_facet,
        "name_sort": document.name_sort,
        "capabilities": list(document.capabilities),
        "capability_facets": list(document.capability_facets),
        "lot": document.lot,
        "maturity_level": document.maturity_level,
        "supplier_id": document.supplier_id,
        "payload": orjson.dumps(document.display()),
        "fingerprint": document.fingerprint,
    }
    if document.annual_price is not None:
        fields["annual_price"] = float(document.annual_price)
    if document.planned_levels:
        fields["planned_level_by"] = document.planned_level_keys
    return Document.from_dict(fields, SCHEMA)


def open_index(directory: Path) -> Index:
    index = Index(SCHEMA, path=str(directory), reuse=True)
    index.register_tokenizer(ANALYZER, analyzer())
    index.config_reader(reload_policy="Manual")
    return index
