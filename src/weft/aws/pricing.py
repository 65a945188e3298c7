"""Prices for the cost estimate: the AWS Price List API, a day's cache, or weft's snapshot.

On AWS, each price is read with ``pricing:GetProducts`` (the API answers in us-east-1 whatever
the fabric's Region), filtered on the fields the price list uses, as Infracost does: the
``regionCode``, the ``productFamily``, the attributes of :class:`~weft.model.cost.PriceQuery`
(``instanceType``, ``operatingSystem``, ``tenancy``, ``capacitystatus``, ``preInstalledSw``,
``licenseModel``, ``databaseEngine``, ``deploymentOption``, ``cacheEngine``...) and a
``CONTAINS`` filter on ``usagetype`` (usage types carry a Region prefix, ``USE2-...``, and
pinning them keeps the Multi-AZ and extended-support SKUs out). The on-demand price is the first
tier's ``pricePerUnit.USD``.

Prices read from AWS are cached per Region for a day (``prices-REGION.json`` in the cache
directory). Without the permission (or offline), prices come from the snapshot shipped with weft
(``weft/price_snapshot.json``), and the :class:`PriceBook` says so; a price the API does not
list falls back to the snapshot too, named as such. Every price keeps its provenance: read from
the Price List API, or transcribed from a published page (the snapshot's own record).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.errors import translate
from weft.aws.session import AwsSession
from weft.model.cost import PriceQuery

PRICING_REGION = "us-east-1"
CACHE_SECONDS = 24 * 3600
API = "price-list-api"
TRANSCRIBED = "transcribed"


@dataclass(frozen=True)
class PricePoint:
    """A price: USD per unit, where it was found and when, and its provenance (``API`` or
    ``TRANSCRIBED``)."""

    usd: Decimal
    source: str
    date: str
    provenance: str

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "usd": str(self.usd)}


@dataclass
class PriceBook:
    prices: dict[str, PricePoint] = field(default_factory=dict)
    #: where the prices came from, for people ("AWS Price List API", "weft's snapshot: ...")
    origin: str = ""

    def usd(self) -> dict[str, Decimal]:
        return {k: p.usd for k, p in self.prices.items()}


def snapshot_products() -> list[dict[str, Any]]:
    text = resources.files("weft").joinpath("price_snapshot.json").read_text()
    products: list[dict[str, Any]] = json.loads(text)["products"]
    return products


def filters(query: PriceQuery, region: str) -> list[dict[str, str]]:
    """The GetProducts filters of ``query`` in ``region``."""
    out = [{"Type": "TERM_MATCH", "Field": "productFamily", "Value": query.family}]
    if query.regional:
        out.append({"Type": "TERM_MATCH", "Field": "regionCode", "Value": region})
    out += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.match]
    out += [{"Type": "CONTAINS", "Field": k, "Value": v} for k, v in query.contains]
    return out


def _snapshot_match(product: dict[str, Any], query: PriceQuery, region: str) -> bool:
    if product["serviceCode"] != query.service or product["productFamily"] != query.family:
        return False
    attrs = product["attributes"]
    if query.regional and attrs.get("regionCode") != region:
        return False
    if any(str(attrs.get(k, "")).lower() != v.lower() for k, v in query.match):
        return False
    return all(v.lower() in str(attrs.get(k, "")).lower() for k, v in query.contains)


def from_snapshot(query: PriceQuery, region: str) -> PricePoint | None:
    for product in snapshot_products():
        if _snapshot_match(product, query, region):
            return PricePoint(
                Decimal(product["usd"]),
                f"weft's price snapshot: {product['source']}",
                product["date"],
                product["provenance"],
            )
    return None


def parse_item(item: str) -> PricePoint | None:
    """The on-demand price of one GetProducts ``PriceList`` entry: its first tier that is not
    free."""
    data = json.loads(item)
    published = str(data.get("publicationDate") or "")[:10]
    version = str(data.get("version") or "")
    for term in (data.get("terms") or {}).get("OnDemand", {}).values():
        dimensions = sorted(
            term.get("priceDimensions", {}).values(),
            key=lambda d: float(d.get("beginRange") or 0),
        )
        # a free first tier (SNS's first 1,000 e-mails) is passed over: estimates are made
        # without free tiers; a product free in every tier is priced at its last one (zero)
        priced = [d for d in dimensions if (d.get("pricePerUnit") or {}).get("USD") is not None]
        paid = [d for d in priced if Decimal(str(d["pricePerUnit"]["USD"])) != 0]
        for dim in paid[:1] or priced[-1:]:
            usd = dim["pricePerUnit"]["USD"]
            if version.startswith("weft-snapshot-"):
                # the local cloud serves weft's snapshot: keep the snapshot's own provenance
                provenance = version.removeprefix("weft-snapshot-")
                source = f"local cloud Price List API: {dim.get('description', '')}"
            else:
                provenance = API
                source = f"AWS Price List API GetProducts (publication {published})"
            return PricePoint(Decimal(str(usd)), source, published, provenance)
    return None


def get_products(session: AwsSession, query: PriceQuery, region: str) -> PricePoint | None:
    """``query``'s price in ``region`` from the Price List API (None: it lists none)."""
    client = session.client_in("pricing", PRICING_REGION)
    page = client.get_products(
        ServiceCode=query.service,
        Filters=filters(query, region),
        FormatVersion="aws_v1",
        MaxResults=10,
    )
    for item in page.get("PriceList", []):
        point = parse_item(item)
        if point is not None:
            return point
    return None


def _read_cache(path: Path, now: float) -> dict[str, PricePoint]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if now - float(data.get("fetched_at", 0)) > CACHE_SECONDS:
        return {}
    return {
        k: PricePoint(Decimal(v["usd"]), v["source"], v["date"], v["provenance"])
        for k, v in (data.get("prices") or {}).items()
    }


def _write_cache(path: Path, prices: dict[str, PricePoint], now: float) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"fetched_at": now, "prices": {k: p.to_dict() for k, p in prices.items()}})
        )
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written is only slower next time


def price_book(
    session: AwsSession,
    region: str,
    queries: Iterable[PriceQuery],
    *,
    cache_dir: Path | None = None,
    offline: bool = False,
) -> PriceBook:
    """The price of every query in ``region``: from the Price List API (cached a day, on AWS
    only), else from the snapshot (``offline``, or without the permission), saying which."""
    wanted = {q.key: q for q in queries}
    book = PriceBook()
    reason = "asked not to read the Price List API" if offline else ""
    if not offline:
        now = dt.datetime.now(dt.UTC).timestamp()
        cache = (
            cache_dir / f"prices-{region}.json"
            if cache_dir is not None and not session.is_local
            else None
        )
        cached = _read_cache(cache, now) if cache else {}
        fetched: dict[str, PricePoint] = {}
        book.prices.update({k: cached[k] for k in wanted if k in cached})
        todo = [q for k, q in wanted.items() if k not in cached]
        try:
            # one request per price, a few at a time (each is a round trip to us-east-1)
            with ThreadPoolExecutor(max_workers=8) as pool:
                for query, point in zip(
                    todo, pool.map(lambda q: get_products(session, q, region), todo), strict=True
                ):
                    if point is not None:
                        book.prices[query.key] = fetched[query.key] = point
        except ClientError as exc:
            error = translate(exc, address=None, action="read", subject="prices")
            reason = f"the Price List API could not be read ({error.message})"
        except BotoCoreError as exc:
            reason = f"the Price List API could not be reached ({exc})"
        if cache is not None and fetched:
            _write_cache(cache, {**cached, **fetched}, now)
        where = "the local cloud's" if session.is_local else "the AWS"
        book.origin = f"{where} Price List API (pricing:GetProducts in {PRICING_REGION})"
    missing = [k for k in wanted if k not in book.prices]
    for key in missing:
        point = from_snapshot(wanted[key], region)
        if point is not None:
            book.prices[key] = point
    if reason:
        book.origin = f"weft's price snapshot ({reason})"
    elif missing:
        book.origin += f"; {len(missing)} price(s) it does not list from weft's snapshot"
    return book
