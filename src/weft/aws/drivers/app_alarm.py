"""CloudWatch alarms on applications' load balancers, written by ``weft deploy``.

The AWS Load Balancer Controller makes an app's load balancer and target group when the app is
deployed, after the fabric is made, so their ids are known only then: ``weft deploy`` writes
each app's alarm on the real ``LoadBalancer`` and ``TargetGroup`` dimensions (the ARN
suffixes CloudWatch uses), as it writes the apps' DNS records. They are :mod:`.metric_alarm`
alarms in every respect but of their own kind, owned by the applications: ``weft up`` never
plans them away, ``weft deploy`` keeps them in step with the apps, and ``weft down`` deletes
them with everything else.
"""

from __future__ import annotations

from weft.aws.drivers.metric_alarm import MetricAlarmDriver

KIND = "app_alarm"

DRIVER = MetricAlarmDriver(KIND, owner="apps")
