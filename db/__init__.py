"""Glance's data layer: tables, engine, migrations and `db.queries`, the one home of business figures."""
