from typing import Any

from flask_smorest import Blueprint

from api.auth import principal, requires
from catalogue import accounts
from catalogue.principal import Role
from service.database import get_session, writing_session
from service.pagination import PageArgsSchema, page_of, page_of_list

from .schemas import IssuedTokenSchema, TokenCreateSchema, TokenSchema

blp = Blueprint("tokens", __name__, description="API tokens (the authority issues and revokes).")


@blp.route("/tokens", methods=["POST"])
@blp.doc(operationId="issueToken")
@requires(Role.AUTHORITY)
@blp.arguments(TokenCreateSchema)
@blp.response(201, IssuedTokenSchema)
def issue_token(body: dict[str, Any]) -> dict[str, Any]:
    """Issue a token. The response is the only time its secret is shown."""
    session = writing_session()
    issued = accounts.issue_token(session, principal(), **body)
    session.commit()
    shown = {name: getattr(issued.token, name) for name in TokenSchema().fields}
    return {**shown, "token": issued.secret}


@blp.route("/tokens", methods=["GET"])
@blp.doc(operationId="listTokens")
@requires(Role.AUTHORITY)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(TokenSchema))
def list_tokens(args: dict[str, Any]) -> dict[str, Any]:
    """Every token, without secrets."""
    return page_of_list(args, accounts.list_tokens(get_session()))


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.doc(operationId="revokeToken")
@requires(Role.AUTHORITY)
@blp.response(204)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No such token.")
def revoke_token(token_id: int) -> None:
    """Revoke a token; it stops working at once. Revoking twice is harmless."""
    session = writing_session()
    accounts.revoke_token(session, principal(), token_id)
    session.commit()
