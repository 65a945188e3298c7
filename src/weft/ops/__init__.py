"""What the commands do, as a library: connect, plan, apply, inventory, destroy.

The CLI is a thin shell over this package; nothing here prints or exits.
"""
