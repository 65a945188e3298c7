"""Where prices come from (weft.aws.pricing): the Price List API, a day's cache, or weft's
snapshot when the API cannot be read, and the book says which."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from weft.aws.pricing import price_book
from weft.model.cost import EKS_STANDARD, ec2_instance


class Pricing:
    """A stand-in for the pricing client: answers from ``prices`` or refuses."""

    def __init__(self, prices: dict[str, str] | None = None, denied: bool = False) -> None:
        self.prices = prices or {}
        self.denied = denied
        self.calls = 0

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.denied:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
                "GetProducts",
            )
        values = {f["Field"]: f["Value"] for f in kwargs["Filters"]}
        usd = self.prices.get(values.get("instanceType", "eks"))
        if usd is None:
            return {"PriceList": []}
        item = {
            "terms": {
                "OnDemand": {"T": {"priceDimensions": {"R": {"pricePerUnit": {"USD": usd}}}}}
            },
            "version": "20261001",
            "publicationDate": "2026-10-01T00:00:00Z",
        }
        return {"PriceList": [json.dumps(item)]}


class Session:
    is_local = False

    def __init__(self, client: Pricing) -> None:
        self.client = client

    def client_in(self, service: str, region: str) -> Pricing:
        assert (service, region) == ("pricing", "us-east-1")  # whatever the fabric's Region
        return self.client


def test_prices_come_from_the_api_then_from_the_days_cache(tmp_path: Path):
    api = Pricing({"m6i.large": "0.0961", "eks": "0.10"})
    queries = [ec2_instance("m6i.large"), EKS_STANDARD]
    book = price_book(Session(api), "us-east-2", queries, cache_dir=tmp_path)  # type: ignore[arg-type]
    assert book.prices[queries[0].key].usd == Decimal("0.0961")
    assert book.prices[queries[0].key].provenance == "price-list-api"
    assert book.origin.startswith("the AWS Price List API")
    assert api.calls == 2
    again = price_book(Session(api), "us-east-2", queries, cache_dir=tmp_path)  # type: ignore[arg-type]
    assert again.usd() == book.usd() and api.calls == 2  # cached for the day


def test_a_price_the_api_does_not_list_comes_from_the_snapshot_named_as_such(tmp_path: Path):
    api = Pricing({"eks": "0.10"})
    query = ec2_instance("m6i.large")
    book = price_book(Session(api), "us-east-2", [query, EKS_STANDARD], cache_dir=tmp_path)  # type: ignore[arg-type]
    assert book.prices[query.key].provenance == "transcribed"
    assert book.prices[query.key].source.startswith("weft's price snapshot")
    assert "1 price(s) it does not list from weft's snapshot" in book.origin


def test_without_the_permission_the_snapshot_prices_everything_and_says_why(tmp_path: Path):
    book = price_book(
        Session(Pricing(denied=True)),  # type: ignore[arg-type]
        "us-east-2",
        [ec2_instance("m6i.large")],
        cache_dir=tmp_path,
    )
    assert book.origin.startswith("weft's price snapshot (the Price List API could not be read")
    assert book.usd() == {ec2_instance("m6i.large").key: Decimal("0.096")}
    assert not list(tmp_path.iterdir())  # nothing cached from the snapshot


def test_offline_reads_nothing():
    api = Pricing(denied=True)
    book = price_book(Session(api), "us-east-2", [EKS_STANDARD], offline=True)  # type: ignore[arg-type]
    assert api.calls == 0 and book.origin.startswith("weft's price snapshot (asked not to")
    assert book.usd()[EKS_STANDARD.key] == Decimal("0.10")
