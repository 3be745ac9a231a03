"""Inspecting an image: what it holds (sbom.py: its OS packages, Python distributions and
labels, read from its files), the security updates and advisories it is missing (scan.py,
osv.py), what changed between two images (diff.py) and whether extra requirements resolve
against it (requirements.py).

Imports only the ground floor and constraints.
"""
