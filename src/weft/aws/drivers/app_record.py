"""Route 53 records pointing at applications' load balancers, written by ``weft deploy``.

What external-dns does on a cluster: for every Ingress host (and every Service of type
LoadBalancer with a host), an alias record in the fabric's zone pointing at the load balancer
the cluster's controller made. They are :mod:`.dns_record` records in every respect (ownership
TXT companions, never overwriting a record weft did not write) but of their own kind, owned by
the applications: ``weft up`` never plans them away, ``weft deploy`` keeps them in step with the
apps, and ``weft down`` deletes them with everything else.
"""

from __future__ import annotations

from weft.aws.drivers.dns_record import DnsRecordDriver

KIND = "app_record"

DRIVER = DnsRecordDriver(KIND, owner="apps")
