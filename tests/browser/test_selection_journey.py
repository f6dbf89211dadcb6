"""A whole selection in a real browser: a commissioner starts it for practice A81001, weighs
price against the requirements (what is left to allocate shown as the weights change), adds
candidates from search, excludes one with a reason, sets MoSCoW requirements and invites two of
the practice's people; they score apart (one entirely by keyboard), the commissioner closes
scoring and moderates, both sides sign off and the practice downloads the signed PDF.
axe-core finds nothing on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import accounts
from catalogue.models import Organisation
from catalogue.principal import CONSOLE, Role

from .conftest import accessible, axe_source, serving

pytestmark = pytest.mark.xdist_group("browser")

PASSWORD = "a long enough passphrase"
PEOPLE = {
    "cara@newcastle.example.nhs.uk": ("Cara Commissioner", Role.COMMISSIONER, "13T"),
    "pat@riverside.example.nhs.uk": ("Pat Partner", Role.PRACTICE, "A81001"),
    "paul@riverside.example.nhs.uk": ("Paul Nurse", Role.PRACTICE, "A81001"),
    # The practice's lead: no evaluator, signs the result off for the practice.
    "lee@riverside.example.nhs.uk": ("Lee Lead", Role.PRACTICE, "A81001"),
}
CANDIDATES = ("Vision 3", "SystmOne", "EMIS Web", "Synergy")


def _people(session: Session) -> None:
    for email, (name, role, ods) in PEOPLE.items():
        organisation = session.scalar(select(Organisation.id).where(Organisation.ods_code == ods))
        accounts.create_user(
            session,
            CONSOLE,
            email=email,
            name=name,
            role=role,
            organisation_id=organisation,
            password=PASSWORD,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    """The app served over a seeded database of its own, with the three people's accounts."""
    with serving(tmp_path_factory.mktemp("selection-journey"), _people) as site:
        yield site.url


@pytest.fixture
def person(browser, site):
    """Open a browser of one's own (cookies apart) for a person, signed in, with axe-core on
    every page and any script error failing the test."""
    contexts, errors = [], []

    def open_as(email: str):
        context = browser.new_context(base_url=site, accept_downloads=True)
        context.add_init_script(script=axe_source())
        context.route(
            lambda url: not url.startswith(site), lambda route: route.abort("blockedbyclient")
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load")
                else None
            ),
        )
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert PEOPLE[email][0] in page.get_by_role("navigation", name="Account").inner_text()
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == [], "JavaScript errors on the pages"


def banner(page) -> str:
    return page.locator(".nhsuk-notification-banner").first.inner_text()


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus by keyboard")


def cell_keys(page) -> list[str]:
    names = page.locator("input[type=radio][name^='score-']").evaluate_all(
        "inputs => [...new Set(inputs.map(i => i.name))]"
    )
    return [name.removeprefix("score-") for name in names]


def test_a_whole_selection_from_start_to_the_signed_pdf(person, tmp_path):
    cara = person("cara@newcastle.example.nhs.uk")
    cara.get_by_role("link", name="Selections").first.click()
    accessible(cara, "selection-list")
    cara.get_by_role("button", name="Start a selection").click()

    # The form explains what is missing, then starts the selection.
    cara.get_by_role("button", name="Start the selection").click()
    assert "Give the selection a name" in cara.locator(".nhsuk-error-summary").inner_text()
    assert cara.title().startswith("Error: ")
    accessible(cara, "selection-new-errors")
    cara.get_by_label("Name of the selection").fill("Riverside clinical system")
    cara.get_by_label("Practice", exact=True).select_option("A81001")
    cara.get_by_label("Framework", exact=True).select_option("gpsoc-r")
    cara.get_by_role("button", name="Start the selection").click()
    assert "Selection Riverside clinical system started" in banner(cara)
    accessible(cara, "selection-overview")
    selection_url = cara.url

    # Weights: what is left to allocate follows the entries as they change.
    cara.get_by_role("link", name="Settings and weights").click()
    cara.get_by_label("Price weight").select_option("60")
    cara.get_by_label("Features (%)").fill("60")
    allocation = cara.locator("[data-allocation]")
    expect(allocation).to_contain_text("Allocated 135 of 100")
    expect(allocation).to_contain_text("35 too many")
    cara.get_by_label("Implementation (%)").fill("40")
    cara.get_by_label("Interoperability (%)").fill("0")
    cara.get_by_label("Service levels (%)").fill("5")
    expect(allocation).to_contain_text("5 too many")
    accessible(cara, "selection-weights-live")
    cara.get_by_role("button", name="Save settings and weights").click()
    summary = cara.locator(".nhsuk-error-summary").inner_text()
    assert "must add up to 100; they add up to 105" in summary
    accessible(cara, "selection-weights-error")
    cara.get_by_label("Service levels (%)").fill("0")
    expect(allocation).to_contain_text("nothing left to allocate")
    cara.get_by_role("button", name="Save settings and weights").click()
    assert "settings and weights are saved" in banner(cara)

    # Candidates from search, one excluded by hand with its reason.
    cara.get_by_role("link", name="Candidates").click()
    for name in CANDIDATES:
        cara.locator("#q").fill(name)
        cara.get_by_role("button", name="Search", exact=True).last.click()
        accessible(cara, "selection-candidate-search")
        row = cara.locator("tr", has=cara.get_by_role("link", name=name, exact=True)).first
        row.get_by_role("button", name=re.compile("^Add to selection")).click()
        assert "Added candidate" in banner(cara)
    synergy = cara.locator("tr", has=cara.get_by_role("link", name="Synergy", exact=True))
    synergy.locator("summary").click()
    synergy.get_by_role("button", name="Exclude with this reason").click()
    assert "Say why the candidate is excluded" in cara.locator(".nhsuk-error-summary").inner_text()
    accessible(cara, "selection-exclusion-error")
    synergy = cara.locator("tr", has=cara.get_by_role("link", name="Synergy", exact=True))
    synergy.get_by_label(re.compile("^Why is Synergy excluded")).fill(
        "The supplier leaves the framework before go-live."
    )
    synergy.get_by_role("button", name="Exclude with this reason").click()
    assert "excluded" in banner(cara)
    accessible(cara, "selection-candidates")

    # Requirements: a should in each weighted group, and a must.
    cara.goto(selection_url + "/requirements")
    for name, group in (
        ("Online appointment booking", "features"),
        ("Data migration", "implementation"),
    ):
        cara.get_by_label("Should have").check()
        cara.get_by_label("Requirement", exact=True).fill(name)
        cara.get_by_label("Group", exact=True).select_option(group)
        cara.get_by_label("Weight within its group").fill("50")
        cara.get_by_label("Scoring", exact=True).select_option("manual")
        cara.get_by_role("button", name="Add the requirement").click()
        assert f"Requirement {name} added" in banner(cara)
    cara.get_by_label("Must have").check()
    cara.get_by_label("Requirement", exact=True).fill("Accredited")
    cara.get_by_label("Requires", exact=True).select_option("min_maturity_level")
    cara.get_by_label("Minimum maturity level").select_option("1")
    cara.get_by_role("button", name="Add the requirement").click()
    assert "Requirement Accredited added" in banner(cara)
    accessible(cara, "selection-requirements")

    # Two of the practice's people are invited to evaluate.
    cara.goto(selection_url + "/evaluators")
    for email in ("pat@riverside.example.nhs.uk", "paul@riverside.example.nhs.uk"):
        name = PEOPLE[email][0]
        cara.get_by_label("Person", exact=True).select_option(label=f"{name} (practice, {email})")
        cara.get_by_role("button", name="Invite").click()
        assert "The evaluator is invited" in banner(cara)
    accessible(cara, "selection-evaluators")

    # Pat scores entirely by keyboard.
    pat = person("pat@riverside.example.nhs.uk")
    pat.get_by_role("link", name="Selections").first.click()
    pat.get_by_role("link", name="Riverside clinical system").click()
    pat.get_by_role("link", name="Your scores").click()
    accessible(pat, "selection-scoring-empty")
    keys = cell_keys(pat)
    assert len(keys) == 6  # two requirements, three candidates still standing
    pat.locator("h1").focus()
    for index, key in enumerate(keys):
        tab_to(pat, f"input[name='score-{key}']")
        pat.keyboard.press("Space")  # the first, 1
        for _ in range(2 + index % 3 - 1):
            pat.keyboard.press("ArrowDown")
        tab_to(pat, f"#justification-{key}")
        pat.keyboard.type(f"Seen at the demonstration ({index})")
    tab_to(pat, "#save-scores")
    with pat.expect_navigation():
        pat.keyboard.press("Enter")
    assert "saved as a draft" in banner(pat)
    assert pat.locator(f"input[name='score-{keys[0]}'][value='2']").is_checked()
    accessible(pat, "selection-scoring-saved")

    # Paul leaves a justification out: the page says where, and keeps the rest.
    paul = person("paul@riverside.example.nhs.uk")
    paul.goto(selection_url + "/scoring")
    for index, key in enumerate(keys):
        paul.locator(f"input[name='score-{key}'][value='{4 if index % 2 else 5}']").check()
        if index:
            paul.locator(f"#justification-{key}").fill(f"Paul's view ({index})")
    paul.get_by_role("button", name="Save my scores").click()
    summary = paul.locator(".nhsuk-error-summary")
    assert "Justify the score" in summary.inner_text()
    assert paul.locator(f"#justification-{keys[1]}").input_value() == "Paul's view (1)"
    accessible(paul, "selection-scoring-error")
    summary.get_by_role("link").first.click()
    paul.keyboard.type("Paul's view (0)")
    paul.get_by_role("button", name="Save my scores").click()
    assert "saved as a draft" in banner(paul)

    # The commissioner closes scoring and moderates, with the spread flagged.
    cara.goto(selection_url + "/evaluators")
    cara.get_by_role("button", name="Close scoring").click()
    assert "Scoring is closed" in banner(cara)
    assert cara.get_by_text(re.compile("Spread of [23]: discuss")).count() >= 1
    assert cara.get_by_text("Paul's view (1)").count() == 1
    accessible(cara, "selection-moderation")
    for index, key in enumerate(keys):
        agreed = 5 if index < 2 else 3  # the first candidate's two requirements score best
        cara.locator(f"input[name='score-{key}'][value='{agreed}']").check()
        cara.locator(f"#justification-{key}").fill(f"Agreed in the panel ({index})")
    cara.get_by_role("button", name="Save the agreed scores").click()
    assert "agreed score(s) saved" in banner(cara)

    # The result: ranking, chart, sensitivity in words, exclusions with their reasons.
    assert cara.locator("h1").inner_text() == "Result"
    assert cara.locator("#ranking tbody tr").count() == 3
    assert "The supplier leaves the framework" in cara.locator("#eliminated").inner_text()
    assert cara.get_by_role("img", name="Weighted score of each candidate, out of 5").count() == 1
    assert re.search(r"price weight", cara.locator("#sensitivity").inner_text())
    accessible(cara, "selection-result")
    cara.get_by_role("button", name="Sign off the result").click()
    assert "You have signed the result off" in banner(cara)

    # Pat, an evaluator, scores and nothing else: the practice's lead signs.
    pat.goto(selection_url + "/result")
    assert pat.get_by_role("button", name="Sign off the result").count() == 0
    assert "evaluators score and nothing else" in pat.locator("main").inner_text()
    lee = person("lee@riverside.example.nhs.uk")
    lee.goto(selection_url + "/result")
    lee.get_by_role("button", name="Sign off the result").click()
    assert "You have signed the result off" in banner(lee)
    assert "the selection is locked" in lee.locator("main").inner_text()
    accessible(lee, "selection-result-locked")
    with lee.expect_download() as download_info:
        lee.get_by_role("link", name="Download the report (PDF)").click()
    download = download_info.value
    assert re.fullmatch(r"selection-\d+\.pdf", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    with lee.expect_download() as download_info:
        lee.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
