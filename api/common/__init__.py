"""The plumbing every API resource shares, written once:

- concurrency: ETags keyed by model, `set_etag` on reads, `check_if_match` before writes.
- writes: `write_response` (commit, then answer with the new ETag) and the documented error
  responses of writes (`WRITE_DOC`, `CREATE_DOC`, `NOT_FOUND_DOC`).
- editable: get-one, create and PATCH for resources of that shape (reference data).
- transitions: lifecycle transitions, wired and documented one way.
- request_input: what every request must be before a view sees it (size, JSON depth,
  Unicode, no control characters), checked once in a before_request hook.
- openapi: the document's field types, once.
- converters: path converters (ids).

What the web pages share with the API (the request's session, the search extension and a
search request, readiness checks, downloads, fields, page arguments) is in `service/`.

Field errors use catalogue.validation.FieldErrors, answered in api.errors' one shape.
"""
