"""The plumbing every API resource shares, written once:

- concurrency: ETags keyed by model, `set_etag` on reads, `check_if_match` before writes.
- writes: `write_response` (commit, then answer with the new ETag) and the documented error
  responses of writes (`WRITE_DOC`, `CREATE_DOC`, `NOT_FOUND_DOC`).
- editable: get-one, create and PATCH for resources of that shape (reference data).
- transitions: lifecycle transitions, wired and documented one way.
- pagination: page arguments, the page envelope and `page_response`.
- request_input: what every request must be before a view sees it (size, JSON depth,
  Unicode, no control characters), checked once in a before_request hook.
- fields, converters, downloads, readiness, search_query: shared fields, path converters,
  file downloads, readiness checks and the search engine's query from /search's arguments.

Field errors use catalogue.validation.FieldErrors, answered in api.errors' one shape.
"""
