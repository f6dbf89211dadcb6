import pytest

from search.query import ParsedText, QuerySyntaxError, SearchQuery, parse_text


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("emis wbe", ParsedText(words=("emis", "wbe"))),
        ('"audit trail" -emis', ParsedText(phrases=("audit trail",), excluded_words=("emis",))),
        ('-"single  user"', ParsedText(excluded_phrases=("single user",))),
        ("A&E gp2gp", ParsedText(words=("A&E", "gp2gp"))),
        ("   ", ParsedText()),
    ],
)
def test_parses_words_phrases_and_exclusions(text, parsed):
    assert parse_text(text) == parsed


@pytest.mark.parametrize(
    "text",
    ['"never closed', "emis -", '""', 'a"b', "--x", "(", ")(", "[", "*", "emis *", '"()"', "-&&"],
)
def test_rejects_what_it_cannot_parse(text):
    with pytest.raises(QuerySyntaxError):
        parse_text(text)


def test_names_the_fields_it_filters():
    query = SearchQuery(lot=1, capabilities=("eps",), min_maturity_level=2)
    assert {facet.value for facet in query.filter_fields()} == {
        "lot",
        "capability",
        "maturity_level",
    }
