"""The agreement of the commissioner, and of the practice on its own order page, that the
commissioner funds a line of additional IT on a draft order (otherwise the practice pays it,
as the GP practice IT infrastructure specification says; both must agree), and taking it
back: the catalogue's `agree_funding` and `withdraw_agreement`, audited with who agreed."""

from __future__ import annotations

from flask import flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import orders
from catalogue.models import CallOffItem, Funding
from catalogue.principal import Role
from service.database import get_session

from .forms import Attempt, check_version, retarget, see_other, signed_in
from .order_pages import order_page, order_url, read_order
from .pages import blueprint


def reason_field(line_id: int) -> str:
    return f"agreement-{line_id}"


def _decide(call_off_id: str, line_id: int, agree: bool) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER, Role.PRACTICE)
    read_order(person, call_off_id)  # 404 before anything else for an order not theirs
    reason = request.form.get("reason", "")
    form = Attempt()
    if agree and not reason.strip():
        form.add(
            "#" + reason_field(line_id),
            "Say why the commissioner agrees to fund this line, as agreed with the practice."
            if person.role is Role.COMMISSIONER
            else "Say why the practice agrees that the commissioner funds this line.",
        )

    def write(db: Session) -> CallOffItem:
        order = orders.get_order(db, person, call_off_id, for_update=True)
        check_version(order)
        if agree:
            return orders.agree_funding(db, person, order, line_id, reason)
        return orders.withdraw_agreement(db, person, order, line_id)

    line = form.run(write)
    if line is None:
        session = get_session()
        session.expire_all()
        order = read_order(person, call_off_id, session)
        # The reason's problem belongs to this line's box.
        problems = retarget(form.problems, {"#reason": "#" + reason_field(line_id)})
        return order_page(
            person, order, problems, 409 if form.stale else 422, session, reasons={line_id: reason}
        )
    if agree:
        practice = person.organisation_id if person.role is Role.PRACTICE else None
        what = f"{line.catalogue_item.name}: {line.price_name}"
        if orders.funding_of(line, practice).funding is Funding.COMMISSIONER:
            flash(f"The commissioner funds {what}.", "success")
        else:
            flash(
                f"Your agreement is recorded for {what}; the practice pays it until the "
                "commissioner and the practice have both agreed.",
                "success",
            )
    else:
        flash(f"The practice pays {line.catalogue_item.name}: {line.price_name} again.", "success")
    return see_other(order_url(call_off_id.upper()) + f"#line-{line_id}")


@blueprint.post("/orders/<string:call_off_id>/items/<int:line_id>/funding-agreement")
def funding_agreement(call_off_id: str, line_id: int) -> ResponseReturnValue:
    return _decide(call_off_id, line_id, agree=True)


@blueprint.post("/orders/<string:call_off_id>/items/<int:line_id>/funding-agreement/withdraw")
def funding_agreement_withdraw(call_off_id: str, line_id: int) -> ResponseReturnValue:
    return _decide(call_off_id, line_id, agree=False)
