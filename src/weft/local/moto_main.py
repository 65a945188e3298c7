"""Child process entry point: run a moto server on 127.0.0.1 and report the port it got.

Run as ``python -m weft.local.moto_main PORT_FILE``. Binding port 0 lets the kernel pick a free
port without a race; the chosen port is written atomically to PORT_FILE once the server listens.

Besides the AWS APIs, the server answers the local EKS authenticator's token webhook
(:mod:`weft.local.eks_auth`) and hands pods their projected service account tokens
(:mod:`weft.local.moto_irsa`) and their Pod Identity credentials
(:mod:`weft.local.moto_eks.pod_identity`), and its EKS reports the local Kubernetes API
(recorded next to PORT_FILE) as every cluster's endpoint (:mod:`weft.local.moto_eks`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def main() -> int:
    port_file = Path(sys.argv[1])
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from weft.local import eks_auth, eks_authz, moto_fixes, moto_irsa, moto_pricing, moto_quotas
    from weft.local.moto_eks import local_kube, pod_identity

    moto_fixes.apply()
    moto_quotas.apply()
    local_kube.LOCAL_DIR = port_file.parent

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = eks_authz.wrap(
                eks_auth.wrap(
                    moto_irsa.wrap(
                        moto_quotas.wrap(
                            moto_pricing.wrap(DomainDispatcherApplication(create_backend_app)),
                            moto_irsa.DEFAULT_ACCOUNT,
                        )
                    )
                )
            )
            app = pod_identity.wrap(app)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    server = Server(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _host, port = server.get_host_and_port()
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(port))
    os.replace(tmp, port_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
