"""The local Kubernetes: a genuine kube-apiserver + kube-controller-manager 1.20.2 on Debian's etcd.

* :mod:`weft.local.kube.setup` builds the two binaries once from Debian's ``kubernetes`` source
  package and caches them outside the repository (``python -m weft.local.kube.setup``).
* :mod:`weft.local.kube.control_plane` starts and stops etcd, the API server and the controller
  manager as background processes recorded under the state directory.
* :mod:`weft.local.kube.simulators` is the only simulated part: a kubelet simulator and an AWS
  load-balancer controller simulator that creates real ELBv2 load balancers in the local AWS.
"""
