"""Trust in a released image: signing its digests (sign.py), BuildKit's provenance read back
(provenance.py), the SBOM written in CycloneDX and SPDX (sbom_formats.py), and both attested
and verified (attest.py).

Imports the ground floor, inspecting (what an image holds), verifying (its check rows) and
releasing (what a release moved).
"""
