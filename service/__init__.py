"""The Flask plumbing the API and the web pages share, below both (api, web -> service ->
search -> catalogue): the request's database session (`database`), the per-app search state and
a search request's parsing and query (`search`), readiness checks (`readiness`), file downloads
(`downloads`), and the marshmallow fields and page arguments their schemas use (`fields`,
`pagination`). It imports flask and marshmallow, never api or web."""
