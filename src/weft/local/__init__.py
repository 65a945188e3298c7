"""The embedded local cloud: real servers on loopback, started and stopped by weft.

Everything the local cloud simulates lives in this package and never in the production code path:
the rest of weft talks to the local cloud exactly as it talks to AWS, only the endpoint differs.
"""
