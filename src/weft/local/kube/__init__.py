"""The local Kubernetes: a genuine kube-apiserver + kube-controller-manager 1.20.2 on Debian's etcd.

* :mod:`weft.local.kube.setup` builds the two binaries once from Debian's ``kubernetes`` source
  package and caches them outside the repository (``python -m weft.local.kube.setup``).
* :mod:`weft.local.kube.control_plane` starts and stops etcd, the API server and the controller
  manager as background processes recorded under the state directory.
* :mod:`weft.local.kube.simulators` is the only simulated part: a kubelet simulator
  (:mod:`~weft.local.kube.kubelet_sim`) and an AWS load-balancer controller simulator
  (:mod:`~weft.local.kube.lb_sim`) that creates real ELBv2 load balancers in the local AWS.
  What they decide is pure and unit-tested: :mod:`~weft.local.kube.scheduling`,
  :mod:`~weft.local.kube.pod_status` and :mod:`~weft.local.kube.node` for the kubelet,
  :mod:`~weft.local.kube.load_balancer` for the controller; :mod:`~weft.local.kube.lb_cloud`,
  :mod:`~weft.local.kube.watch`, :mod:`~weft.local.kube.event` and :mod:`~weft.local.kube.meta`
  are the I/O and the object reading they share.
"""
