"""Building images: a request as the user gave it (request.py), every default worked out and
planned into jobs (plan.py), the buildx command line (buildx.py), the jobs run in parallel with
their logs (build.py, jobs.py), what the builder can build (platforms.py), the extras checked
against the release (extras.py) and how images are named (tags.py).

Imports only the ground floor (ports, values, errors, config) and constraints.
"""
