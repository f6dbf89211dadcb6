"""The signed-in person's choice of emails: for each kind of event that can concern them, at
once, in a daily summary, or not at all."""

from __future__ import annotations

from flask import flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from catalogue import notifications
from catalogue.notifications import DESCRIPTIONS, Frequency
from service.database import get_session, writing_session

from .forms import signed_in
from .pages import Page, blueprint, render

FREQUENCY_LABELS = {
    Frequency.IMMEDIATELY: "At once",
    Frequency.DAILY: "In a summary once a day",
    Frequency.NEVER: "Not at all",
}


def _page(chosen: dict[str, Frequency], errors: list[tuple[str, str]] | None = None) -> Page:
    principal = signed_in()
    kinds = notifications.types_for(principal.role)
    return render(
        "notification_preferences.html",
        title="Emails you get",
        breadcrumbs=[("Home", "/")],
        kinds=[(kind.value, DESCRIPTIONS[kind]) for kind in kinds],
        options=[(f.value, label, None) for f, label in FREQUENCY_LABELS.items()],
        chosen={kind: value.value for kind, value in chosen.items()},
        errors=errors or [],
        error_count=len(errors or []),
        status=400 if errors else 200,
    )


@blueprint.get("/account/notifications")
def notification_preferences() -> Page:
    signed_in()
    return _page(notifications.preferences(get_session(), int(current_user.id)))


@blueprint.post("/account/notifications")
def notification_preferences_submit() -> ResponseReturnValue:
    principal = signed_in()
    kinds = notifications.types_for(principal.role)
    allowed = {f.value for f in Frequency}
    choices: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for index, kind in enumerate(kinds):
        value = request.form.get(kind.value, "")
        if value not in allowed:
            errors.append((f"#kind-{index}", f"Choose how you hear that: {DESCRIPTIONS[kind]}."))
        else:
            choices[kind.value] = value
    if errors:
        current = notifications.preferences(get_session(), int(current_user.id))
        shown = {**current, **{k: Frequency(v) for k, v in choices.items()}}
        return _page(shown, errors)
    session = writing_session()
    notifications.set_preferences(session, int(current_user.id), choices)
    session.commit()
    flash("Your choice of emails is saved.", "success")
    return redirect("/account/notifications", 303)
