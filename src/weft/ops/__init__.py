"""What the commands do, as a library: connect, plan, apply, inventory, destroy, deploy.

The CLI is a thin shell over this package; nothing here prints or exits, and nothing here talks
to AWS but through :mod:`weft.aws` (no botocore: AWS errors arrive translated). The modules, in
layers (each imports only those below it; ``pyproject.toml`` holds the contract):

- the commands: :mod:`~weft.ops.apply` (``up``), :mod:`~weft.ops.teardown` (``down``),
  :mod:`~weft.ops.leftovers`, :mod:`~weft.ops.status`, :mod:`~weft.ops.verify`,
  :mod:`~weft.ops.access` (kubeconfig, token), :mod:`~weft.ops.secrets`,
  :mod:`~weft.ops.fabric_file` (``init``);
- the application commands: :mod:`weft.ops.apps`;
- what they share: :mod:`~weft.ops.run` (run id, lock, journal, executor, outcome),
  :mod:`~weft.ops.plan` (plans and their comparison), :mod:`~weft.ops.sweep` (the sweep's
  scope), :mod:`~weft.ops.guard` (guard rails);
- :mod:`~weft.ops.target` (the fabric, account and region acted on), and
  :mod:`~weft.ops.retrying`.
"""
