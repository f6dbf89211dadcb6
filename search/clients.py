"""The wire to an Elasticsearch-compatible server, whichever product answers.

The Elasticsearch engine speaks to Elasticsearch 8.x/9.x through the `elasticsearch` 8.x client,
and to OpenSearch 2.x through `opensearch-py` (the `elasticsearch` client refuses to talk to a
server that is not Elasticsearch). Both take the same request bodies (search/elastic.py builds
them); this module hides the two clients' call conventions and exception classes behind one
small interface, and tells the product apart from the server's own root document.

Errors come out as three classes: NotFound (a missing index or alias), BadRequest (the server
refused the request as malformed: the caller's fault) and ServerUnavailable (anything else:
connection refused, time-out, 5xx, 429).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import elasticsearch
import opensearchpy
import orjson
import urllib3
from elasticsearch import helpers as es_helpers
from opensearchpy import helpers as os_helpers

# How long one request may take before search answers 503 rather than hanging.
REQUEST_TIMEOUT = 5
# Writes (bulk, index creation) get longer: a busy cluster is slow, not gone.
WRITE_TIMEOUT = 30


class ServerError(Exception):
    def __init__(self, message: str, status: int | str | None = None):
        super().__init__(message)
        self.status = status


class NotFound(ServerError):
    """A missing index or alias."""


class BadRequest(ServerError):
    """The server refused the request as malformed (HTTP 400)."""


class ServerUnavailable(ServerError):
    """Unreachable, timed out, overloaded (429) or failing (5xx)."""


class BulkItemFailure:
    """One action of a bulk request that the server refused."""

    __slots__ = ("id", "status", "reason")

    def __init__(self, id: str, status: int, reason: str):
        self.id = id
        self.status = status
        self.reason = reason

    def __repr__(self) -> str:
        return f"BulkItemFailure({self.id!r}, {self.status}, {self.reason!r})"


class SearchClient(Protocol):
    product: str
    raw: Any

    def info(self) -> dict[str, Any]: ...
    def health(self) -> dict[str, Any]: ...
    def wait_for_green(self, index: str, seconds: int) -> bool: ...
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def count(self, index: str) -> int: ...
    def indices_behind(self, alias: str) -> list[str]: ...
    def mapping_meta(self, index: str) -> dict[str, dict[str, Any]]: ...
    def create_index(self, name: str, body: dict[str, Any]) -> None: ...
    def put_settings(self, index: str, settings: dict[str, Any]) -> None: ...
    def refresh(self, index: str) -> None: ...
    def update_aliases(self, actions: list[dict[str, Any]]) -> None: ...
    def delete_index(self, index: str) -> None: ...
    def bulk(
        self, actions: Iterable[dict[str, Any]], *, refresh: bool, chunk_size: int
    ) -> list[BulkItemFailure]: ...


def bulk_failures(items: Iterable[tuple[bool, dict[str, Any]]]) -> list[BulkItemFailure]:
    """The refused actions among a bulk's results (a delete of a missing document is fine)."""
    failures = []
    for ok, result in items:
        if ok:
            continue
        ((op, detail),) = result.items()
        status = int(detail.get("status", 0))
        if op == "delete" and status == 404:
            continue
        error = detail.get("error")
        reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
        failures.append(BulkItemFailure(str(detail.get("_id")), status, reason or ""))
    return failures


def detect_product(url: str) -> str:
    """'elasticsearch' or 'opensearch', from the server's root document (GET /)."""
    http = urllib3.PoolManager(timeout=urllib3.Timeout(REQUEST_TIMEOUT), retries=False)
    parts = urllib3.util.parse_url(url)
    headers = urllib3.make_headers(basic_auth=parts.auth) if parts.auth else {}
    root = parts._replace(auth=None, path="/", query=None, fragment=None).url
    try:
        response = http.request("GET", root, headers=headers)
    except urllib3.exceptions.HTTPError as error:
        raise ServerUnavailable(f"cannot reach {type(error).__name__}") from error
    if response.status >= 500 or response.status == 429:
        raise ServerUnavailable(f"the server answered {response.status}", response.status)
    try:
        version = json.loads(response.data).get("version", {})
    except ValueError as error:
        raise ServerUnavailable("the server's root document is not JSON") from error
    return "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"


def connect(url: str) -> SearchClient:
    if detect_product(url) == "opensearch":
        return OpenSearchClient(url)
    return ElasticClient(url)


class ElasticClient:
    """Elasticsearch 8.x and 9.x servers, through the `elasticsearch` 8.x client."""

    product = "elasticsearch"

    def __init__(self, url: str):
        self.raw = elasticsearch.Elasticsearch(
            url,
            request_timeout=REQUEST_TIMEOUT,
            max_retries=1,
            retry_on_timeout=False,
            serializer=elasticsearch.OrjsonSerializer(),  # requests and answers, with orjson
        )

    @staticmethod
    def _translate(error: Exception) -> ServerError:
        if isinstance(error, elasticsearch.NotFoundError):
            return NotFound(str(error), 404)
        if isinstance(error, elasticsearch.ApiError):
            status = error.meta.status
            if status == 400:
                return BadRequest(str(error), 400)
            return ServerUnavailable(f"{type(error).__name__} ({status})", status)
        return ServerUnavailable(type(error).__name__)

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (
            elasticsearch.ApiError,
            elasticsearch.TransportError,
            es_helpers.BulkIndexError,
        ) as error:
            raise self._translate(error) from error

    def info(self) -> dict[str, Any]:
        return self._call(self.raw.info).body

    def health(self) -> dict[str, Any]:
        return self._call(self.raw.cluster.health).body

    def wait_for_green(self, index: str, seconds: int) -> bool:
        """Whether every copy of the index is assigned within `seconds`."""
        health = self._call(
            self.raw.options(request_timeout=seconds + WRITE_TIMEOUT).cluster.health,
            index=index,
            wait_for_status="green",
            timeout=f"{seconds}s",
        ).body
        return not health.get("timed_out")

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(self.raw.search, index=index, body=body).body

    def count(self, index: str) -> int:
        return int(self._call(self.raw.count, index=index)["count"])

    def indices_behind(self, alias: str) -> list[str]:
        try:
            return sorted(self._call(self.raw.indices.get_alias, name=alias).body)
        except NotFound:
            return []

    def mapping_meta(self, index: str) -> dict[str, dict[str, Any]]:
        found = self._call(self.raw.indices.get_mapping, index=index).body
        return {name: body["mappings"].get("_meta", {}) for name, body in found.items()}

    def create_index(self, name: str, body: dict[str, Any]) -> None:
        self._call(
            self.raw.options(request_timeout=WRITE_TIMEOUT).indices.create, index=name, **body
        )

    def put_settings(self, index: str, settings: dict[str, Any]) -> None:
        self._call(self.raw.indices.put_settings, index=index, settings=settings)

    def refresh(self, index: str) -> None:
        self._call(self.raw.options(request_timeout=WRITE_TIMEOUT).indices.refresh, index=index)

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self._call(self.raw.indices.update_aliases, actions=actions)

    def delete_index(self, index: str) -> None:
        self._call(self.raw.indices.delete, index=index, ignore_unavailable=True)

    def bulk(
        self, actions: Iterable[dict[str, Any]], *, refresh: bool, chunk_size: int
    ) -> list[BulkItemFailure]:
        client = self.raw.options(request_timeout=WRITE_TIMEOUT)
        return bulk_failures(
            self._call(
                lambda: list(
                    es_helpers.streaming_bulk(
                        client,
                        actions,
                        chunk_size=chunk_size,
                        refresh=refresh,
                        raise_on_error=False,
                        max_retries=BULK_RETRIES,
                        initial_backoff=BULK_BACKOFF,
                    )
                )
            )
        )


class OrjsonSerializer(opensearchpy.JSONSerializer):
    """opensearch-py's JSON with orjson: a search's answer (hits, seven facets) and a bulk
    request's bodies cost several times less to decode and encode than with json."""

    def dumps(self, data: Any) -> Any:
        if isinstance(data, (str, bytes)):
            return data
        return orjson.dumps(data, default=self.default).decode()

    def loads(self, s: Any) -> Any:
        return orjson.loads(s)


class OpenSearchClient:
    """OpenSearch 2.x servers, through `opensearch-py`."""

    product = "opensearch"

    def __init__(self, url: str):
        self.raw = opensearchpy.OpenSearch(
            url,
            timeout=REQUEST_TIMEOUT,
            max_retries=1,
            retry_on_timeout=False,
            serializer=OrjsonSerializer(),
        )

    @staticmethod
    def _translate(error: Exception) -> ServerError:
        if isinstance(error, opensearchpy.NotFoundError):
            return NotFound(str(error), 404)
        if isinstance(error, opensearchpy.RequestError):
            return BadRequest(str(error.info if error.info else error), 400)
        if isinstance(error, opensearchpy.TransportError):
            return ServerUnavailable(
                f"{type(error).__name__} ({error.status_code})", error.status_code
            )
        return ServerUnavailable(type(error).__name__)

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except opensearchpy.OpenSearchException as error:
            raise self._translate(error) from error

    def info(self) -> dict[str, Any]:
        return self._call(self.raw.info)

    def health(self) -> dict[str, Any]:
        return self._call(self.raw.cluster.health)

    def wait_for_green(self, index: str, seconds: int) -> bool:
        """Whether every copy of the index is assigned within `seconds`."""
        health = self._call(
            self.raw.cluster.health,
            index=index,
            params={"wait_for_status": "green", "timeout": f"{seconds}s"},
            request_timeout=seconds + WRITE_TIMEOUT,
        )
        return not health.get("timed_out")

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(self.raw.search, index=index, body=body)

    def count(self, index: str) -> int:
        return int(self._call(self.raw.count, index=index)["count"])

    def indices_behind(self, alias: str) -> list[str]:
        try:
            return sorted(self._call(self.raw.indices.get_alias, name=alias))
        except NotFound:
            return []

    def mapping_meta(self, index: str) -> dict[str, dict[str, Any]]:
        found = self._call(self.raw.indices.get_mapping, index=index)
        return {name: body["mappings"].get("_meta", {}) for name, body in found.items()}

    def create_index(self, name: str, body: dict[str, Any]) -> None:
        self._call(
            self.raw.indices.create,
            index=name,
            body=body,
            request_timeout=WRITE_TIMEOUT,
        )

    def put_settings(self, index: str, settings: dict[str, Any]) -> None:
        self._call(self.raw.indices.put_settings, index=index, body=settings)

    def refresh(self, index: str) -> None:
        self._call(self.raw.indices.refresh, index=index, request_timeout=WRITE_TIMEOUT)

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self._call(self.raw.indices.update_aliases, body={"actions": actions})

    def delete_index(self, index: str) -> None:
        self._call(self.raw.indices.delete, index=index, params={"ignore_unavailable": "true"})

    def bulk(
        self, actions: Iterable[dict[str, Any]], *, refresh: bool, chunk_size: int
    ) -> list[BulkItemFailure]:
        def run() -> Iterator[tuple[bool, dict[str, Any]]]:
            yield from os_helpers.streaming_bulk(
                self.raw,
                actions,
                chunk_size=chunk_size,
                refresh="true" if refresh else "false",
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=BULK_RETRIES,
                initial_backoff=BULK_BACKOFF,  # type: ignore[arg-type]  # int in its hints; any number sleeps
                request_timeout=WRITE_TIMEOUT,
            )

        return bulk_failures(self._call(lambda: list(run())))


# A bulk request the server rejects as overloaded (429), or items of it rejected so, are sent
# again after a pause that doubles each time; anything still refused is reported per item.
BULK_RETRIES = 3
BULK_BACKOFF = 0.5
