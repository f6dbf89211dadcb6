"""The web front end: server-rendered pages in the NHS.UK design system, on top of `catalogue/`
and `search/` like the API, through the Flask plumbing they share in `service/` (never calling
the API, over HTTP or in code), with people signing in.

Modules: `setup` (wiring into the app: assets, sessions, CSRF, security headers), `signing_in`
(Flask-Login, the throttle), `pages` (the blueprint and its error pages), `catalogue_pages`
(home, frameworks, lots, suppliers), `search_page`, `item_pages`, `compare_page`,
`account_pages`, `presenting` (words for codes, money), `chart` (the SVG cost chart),
`compare_export` (CSV and XLSX of a comparison), `order_pages` (order list, order page with its
task list and history, business case, submit), `order_form_pages` (a commissioner's draft)."""

from .setup import init_app  # create_app calls it: wires the pages into the app

__all__ = ["init_app"]
