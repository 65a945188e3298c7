"""What the application commands do: deploy, release, rollback, history, render, and teardown.

Everything goes through the fabric's own cluster, found in the cloud and reached with an EKS
token made for it (:mod:`weft.aws.eks_token`); nothing is read from a local kubeconfig, so a
command can never act on another cluster than the fabric's.

``deploy`` (and ``release``, which is a deploy of one app at a given version):

1. reads the fabric's data stores, certificate and zone from the cloud, and the secrets the apps
   need from the secrets store; an unknown secret, or a store not yet created, stops everything
   before anything is applied;
2. renders the manifests (:mod:`weft.kube.manifests`) in the API versions the cluster serves;
3. server-side applies them, and prunes the objects weft manages that the file no longer names;
4. waits for every Deployment's rollout (:mod:`weft.kube.rollout`) in parallel, reporting
   progress; a failed rollout is rolled back to the previous revision at once, and the command
   fails naming the pods and reasons;
5. records each release in the app's history (:mod:`weft.kube.releases`);
6. points a Route 53 record at each app's load balancer (``app_record``), and removes the records
   of apps that no longer have one.

Secret values travel only from the secrets store into the Kubernetes Secret's ``stringData`` of
the apply request; no event, error or result carries one.

One module per job, each over a :class:`~weft.ops.apps.connection.Connection`:

- :mod:`~weft.ops.apps.connection`: the fabric's cluster and its inventory, and the events;
- :mod:`~weft.ops.apps.inputs`: what the manifests are rendered from (``weft render``);
- :mod:`~weft.ops.apps.deploy`: apply, prune, wait, roll a failed rollout back;
- :mod:`~weft.ops.apps.preview`: what deploy would change, from a server-side apply dry run
  (``weft plan``'s apps section, ``weft deploy --dry-run``);
- :mod:`~weft.ops.apps.release`: ``release``, ``history`` and ``rollback`` of one app;
- :mod:`~weft.ops.apps.revisions`: an app's revisions: going back to one, recording releases;
- :mod:`~weft.ops.apps.records`: the apps' DNS records and the load balancers they point at;
- :mod:`~weft.ops.apps.teardown`: the Kubernetes phase of ``weft down``;
- :mod:`~weft.ops.apps.objects`: what weft reads off a Kubernetes object (pure).
"""
