"""The fast list-page JSON and the schema's JSON of the same items are the same document."""

from sqlalchemy import select

from api.items.representation import item_json
from api.items.schemas import CatalogueItemSchema
from catalogue.listings.pages import item_records
from catalogue.models import CatalogueItem


def test_fast_representation_equals_the_schema_dump_for_every_seeded_item(db):
    items = db.scalars(select(CatalogueItem).order_by(CatalogueItem.id)).all()
    assert len(items) > 30
    schema = CatalogueItemSchema()
    records = item_records(db, [item.id for item in items])

    assert [record.fields["id"] for record in records] == [item.id for item in items]
    for item, record in zip(items, records, strict=True):
        assert item_json(record) == schema.dump(item), item.slug


def test_records_keep_the_order_asked_for(db):
    ids = db.scalars(select(CatalogueItem.id).order_by(CatalogueItem.id.desc()).limit(5)).all()
    assert [record.fields["id"] for record in item_records(db, ids)] == list(ids)
    assert item_records(db, []) == []
