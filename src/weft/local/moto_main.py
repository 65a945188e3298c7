"""Child process entry point: run a moto server on 127.0.0.1 and report the port it got.

Run as ``python -m weft.local.moto_main PORT_FILE``. Binding port 0 lets the kernel pick a free
port without a race; the chosen port is written atomically to PORT_FILE once the server listens.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def main() -> int:
    port_file = Path(sys.argv[1])
    from moto.server import ThreadedMotoServer

    from weft.local import moto_fixes

    moto_fixes.apply()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
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
