"""Refresh weft's price snapshot (src/weft/price_snapshot.json) from the AWS Price List API.

For every price in the snapshot, ask ``pricing:GetProducts`` (in us-east-1) for the product
with the same service, product family and attributes, and record the on-demand price it lists,
with ``provenance: price-list-api``, the price list's publication date, and the date read. A
product the API does not list is kept as it was (and named). Needs credentials allowed
``pricing:GetProducts``; ``--endpoint-url`` points it elsewhere (the tests use the local cloud,
which serves the snapshot itself: prices it answers keep their own provenance, so a transcribed
price never becomes "read from the API" by going through it).

    python scripts/refresh_prices.py                       # rewrite the snapshot in place
    python scripts/refresh_prices.py --output new.json     # or write elsewhere
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import boto3

SNAPSHOT = Path(__file__).resolve().parent.parent / "src" / "weft" / "price_snapshot.json"
#: Attributes that name a product but are not filters the price list matches exactly.
NOT_FILTERED = frozenset({"location"})


def filters(product: dict[str, Any]) -> list[dict[str, str]]:
    out = [{"Type": "TERM_MATCH", "Field": "productFamily", "Value": product["productFamily"]}]
    out += [
        {"Type": "TERM_MATCH", "Field": k, "Value": v}
        for k, v in sorted(product["attributes"].items())
        if k not in NOT_FILTERED
    ]
    return out


def on_demand(item: str) -> tuple[str, str, str] | None:
    """(USD, publication date, provenance) of a PriceList entry's first on-demand tier that is
    not free."""
    data = json.loads(item)
    version = str(data.get("version") or "")
    provenance = (
        version.removeprefix("weft-snapshot-")
        if version.startswith("weft-snapshot-")
        else "price-list-api"
    )
    published = str(data.get("publicationDate") or "")[:10]
    for term in (data.get("terms") or {}).get("OnDemand", {}).values():
        tiers = sorted(
            term.get("priceDimensions", {}).values(),
            key=lambda d: float(d.get("beginRange") or 0),
        )
        priced = [t for t in tiers if (t.get("pricePerUnit") or {}).get("USD") is not None]
        # the first tier that is not free (SNS's first 1,000 e-mails are), as weft.aws.pricing
        paid = [t for t in priced if float(t["pricePerUnit"]["USD"]) != 0]
        for tier in paid[:1] or priced[-1:]:
            return str(tier["pricePerUnit"]["USD"]), published, provenance
    return None


def refresh(client: Any, snapshot: dict[str, Any], today: str) -> tuple[dict[str, Any], list[str]]:
    """The snapshot with every price the API lists refreshed, and what it did not list."""
    missing: list[str] = []
    products = []
    for product in snapshot["products"]:
        page = client.get_products(
            ServiceCode=product["serviceCode"],
            Filters=filters(product),
            FormatVersion="aws_v1",
            MaxResults=10,
        )
        found = next((p for p in map(on_demand, page.get("PriceList", [])) if p), None)
        if found is None:
            missing.append(f"{product['serviceCode']} {product['attributes']}")
            products.append(product)
            continue
        usd, published, provenance = found
        if provenance == "price-list-api":
            product = {
                **product,
                "usd": usd,
                "provenance": "price-list-api",
                "source": f"AWS Price List API GetProducts, read {today} "
                f"(price list published {published})",
                "date": published or today,
            }
        else:  # the local cloud answered from the snapshot: nothing new was learnt
            product = {**product, "usd": usd}
        products.append(product)
    return {**snapshot, "products": products}, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--output", type=Path, default=None, help="default: the snapshot")
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)
    snapshot = json.loads(args.snapshot.read_text())
    client = boto3.client("pricing", region_name="us-east-1", endpoint_url=args.endpoint_url)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    fresh, missing = refresh(client, snapshot, today)
    (args.output or args.snapshot).write_text(json.dumps(fresh, indent=1) + "\n")
    read = sum(1 for p in fresh["products"] if p["provenance"] == "price-list-api")
    print(f"{len(fresh['products'])} prices, {read} read from the Price List API")
    for name in missing:
        print(f"not listed by the API (kept as it was): {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
