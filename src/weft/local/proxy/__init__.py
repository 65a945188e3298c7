"""A counting, delaying, fault-injecting HTTP proxy in front of the local AWS (moto).

Benchmarks and fault-injection tests point a session at :attr:`Proxy.url` instead of the moto
server. For every request the proxy:

1. names the call ``service:Action`` (:mod:`.call`): the service from the SigV4 credential scope
   of the ``Authorization`` header, the action from ``X-Amz-Target`` (JSON protocols), the
   ``Action=`` parameter (query protocols: EC2, IAM, RDS, ElastiCache, STS...), or, for REST
   services (S3, EKS, Route 53...), from the method, path and query matched against botocore's
   own model of the service (so no hand-written route table goes stale);
2. counts it (reads are ``Describe/Get/List/Head/Lookup/Search*``, the same rule as
   :mod:`weft.aws.session`, whose counter must agree with this one);
3. optionally sleeps a :class:`Latency` (:mod:`.latency`): a round trip on every call, plus a
   provisioning delay after a successful call named in its table (``eks:CreateCluster``: weft
   waits for readiness right after a create, and moto reports everything ready at once, so
   delaying the create answer is the faithful model);
4. optionally answers with a fault instead (:class:`Faults`, :mod:`.fault`): a throttling error
   in the service's own protocol, or an HTTP 500, for a seeded random fraction of calls;
5. otherwise forwards the request over a kept-alive connection (one per client connection) and
   streams the answer back (:mod:`.server`).

Loopback only: the proxy listens on 127.0.0.1 on a free port. The names below are the proxy's
whole public interface; its modules hold one job each.
"""

from __future__ import annotations

from weft.local.proxy.call import Call, classify, is_read
from weft.local.proxy.fault import Faults
from weft.local.proxy.latency import PROVISIONING_SECONDS, Latency, realistic_latency
from weft.local.proxy.server import Counts, Proxy, start_proxy

__all__ = [
    "PROVISIONING_SECONDS",
    "Call",
    "Counts",
    "Faults",
    "Latency",
    "Proxy",
    "classify",
    "is_read",
    "realistic_latency",
    "start_proxy",
]
