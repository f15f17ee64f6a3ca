"""The runtime both services share: settings, logging, metrics, security headers, build info, probes,
the process-wide engine.

The bottom layer of `services`: it may import `db` and nothing else of Glance's. Settings sit at
the very bottom: nothing they import imports them back. `digests` uses the standard library only,
because the build backend loads it before Glance's dependencies are installed.
"""
