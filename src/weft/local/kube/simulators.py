"""The simulated parts of the local Kubernetes, in one background process.

    python -m weft.local.kube.simulators --kubeconfig K --state-dir D [--aws-endpoint URL]
        [--ready-file F] [--kubelet-version vX.Y.Z] [--cert-dir C]

runs the kubelet simulator (:mod:`weft.local.kube.kubelet_sim`), the AWS Load Balancer
Controller's webhooks while it is installed (:mod:`weft.local.kube.lb_webhooks`) and, when an AWS
endpoint is given, the load-balancer controller simulator (:mod:`weft.local.kube.lb_sim`, which
acts only while the AWS Load Balancer Controller is installed in the cluster), EKS Auto Mode's
(:mod:`weft.local.kube.auto_mode_lb`, only for an Auto Mode cluster, with its node launcher
:mod:`weft.local.kube.auto_mode_nodes`), the Cluster Autoscaler
simulator (:mod:`weft.local.kube.autoscaler_sim`, which acts only while the Cluster Autoscaler is
installed), the EBS CSI driver simulator (:mod:`weft.local.kube.ebs_csi_sim`, only while the
cluster has the EBS CSI add-on) and the fluent-bit add-on's shipping of the containers' output
(:mod:`weft.local.kube.log_shipper`, only for clusters with the add-on) against the API server
of kubeconfig K. ``D`` is the local state directory (``<state dir>/local``) holding the optional
``nodes.json``. With ``C`` (the control plane's certificates, where
:mod:`weft.local.kube.kubelet_tls` wrote the kubelets') it serves the nodes' kubelet endpoint
(:mod:`weft.local.kube.kubelet_logs`: ``pods/log``). Once the nodes are registered and Ready it
writes F. It logs to stderr (the process's log file) and stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from weft.local.kube import kubelet_tls
from weft.local.kube.kubelet_logs import KubeletServer, LogBook
from weft.local.kube.kubelet_sim import Kubelet
from weft.local.kube.watch import make_client

log = logging.getLogger("weft.local.kube")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m weft.local.kube.simulators")
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--aws-endpoint", default=None)
    parser.add_argument("--ready-file", type=Path, default=None)
    parser.add_argument(
        "--kubelet-version", default=None, help="what the nodes report (the API server's version)"
    )
    parser.add_argument("--cert-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
    )
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    book = LogBook()
    server: KubeletServer | None = None
    tls = kubelet_tls.paths(args.cert_dir) if args.cert_dir else None
    if tls is not None and tls.complete():
        server = KubeletServer(book, tls, stop)
        server.start()
        log.info("kubelet endpoint: https://%s:%d", kubelet_tls.KUBELET_HOST, server.port)
    else:
        log.warning("no kubelet certificates: pods/log is not served")
    kubelet = Kubelet(
        make_client(args.kubeconfig, "weft-local-kubelet"),
        args.state_dir,
        stop,
        watch_client=make_client(args.kubeconfig, "weft-local-kubelet"),
        **({"kubelet_version": args.kubelet_version} if args.kubelet_version else {}),
        book=book,
        kubelet_port=server.port if server else None,
    )
    kubelet.start()
    log.info("kubelet simulator: nodes %s", ", ".join(sorted(kubelet.nodes)))
    from weft.local.kube.lb_webhooks import WebhookServer

    WebhookServer(make_client(args.kubeconfig, "weft-local-lb-webhooks"), stop).start(
        make_client(args.kubeconfig, "weft-local-lb-webhooks")
    )
    if args.aws_endpoint:
        from weft.local.kube.log_shipper import LogShipper

        shipper = LogShipper(args.aws_endpoint, kubelet.cluster_of, stop)
        book.listen(shipper.take)
        shipper.start()
        from weft.local.kube.lb_sim import LoadBalancerController

        lbc = LoadBalancerController(
            make_client(args.kubeconfig, "weft-local-lb-controller"),
            args.state_dir,
            args.aws_endpoint,
            stop,
            watch_clients=(
                make_client(args.kubeconfig, "weft-local-lb-controller"),
                make_client(args.kubeconfig, "weft-local-lb-controller"),
            ),
        )
        lbc.start()
        log.info("load-balancer controller simulator: AWS endpoint %s", args.aws_endpoint)
        from weft.local.kube.auto_mode_lb import AutoModeController

        auto = AutoModeController(
            make_client(args.kubeconfig, "weft-local-eks-auto-mode"),
            args.state_dir,
            args.aws_endpoint,
            stop,
            watch_clients=(
                make_client(args.kubeconfig, "weft-local-eks-auto-mode"),
                make_client(args.kubeconfig, "weft-local-eks-auto-mode"),
            ),
        )
        auto.start()
        from weft.local.kube.auto_mode_nodes import AutoModeNodes

        AutoModeNodes(
            make_client(args.kubeconfig, "weft-local-eks-auto-mode"),
            args.state_dir,
            args.aws_endpoint,
            stop,
        ).start()
        from weft.local.kube.autoscaler_sim import ClusterAutoscaler

        ClusterAutoscaler(
            make_client(args.kubeconfig, "weft-local-cluster-autoscaler"), args.aws_endpoint, stop
        ).start()
        log.info("cluster-autoscaler simulator: AWS endpoint %s", args.aws_endpoint)
        from weft.local.kube.ebs_csi_sim import EbsCsiDriver

        ebs = make_client(args.kubeconfig, "weft-local-ebs-csi")
        EbsCsiDriver(ebs, args.aws_endpoint, stop).start()
    else:
        log.warning(
            "no --aws-endpoint: the load-balancer controller simulator is off; LoadBalancer "
            "Services and Ingresses stay without an address, even with the controller installed"
        )
    deadline = time.monotonic() + 30
    while not kubelet.nodes_ready() and time.monotonic() < deadline and not stop.is_set():
        stop.wait(0.1)
    if args.ready_file:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, args.ready_file)
    log.info("simulators ready")
    stop.wait()
    log.info("simulators stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
