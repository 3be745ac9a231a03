"""Releasing images: the tags of a release planned, copied and checked (release.py), a
released version kept patched or rolled back (rerelease.py, with the candidates it builds or
patches: candidates.py), and waiting for an image to be pushed (wait.py).

Imports the ground floor, building (names, the build command line), inspecting (the scan)
and verifying (the checks a candidate passes).
"""
