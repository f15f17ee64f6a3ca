"""The figures reports, one serializer for the CLI and the API: what a caller may ask for (`requests`),
the JSON shape of each report (`payloads`) and the builder that fills it from `db.queries` through
the shared query cache under the caller's territory scope (`build`).

`glance report … --format json` and `GET /api/v1/reports/…` print the same payload because both
call `build_report`. May import `db`, `services.cache` and `services.runtime`; imported only by
`services.sync` (the API) and `services.cli` (the `glance report` command), never by the dashboard,
which reads typed figures through the cache itself.
"""
