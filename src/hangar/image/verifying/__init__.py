"""Verifying an image: the checks that a production image passes (checks.py, verify.py) and
the Helm chart's containers started from it (helm_contract.py, helm.py).

Imports only the ground floor.
"""
