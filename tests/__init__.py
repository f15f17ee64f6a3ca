"""Glance test suite (a package so test modules never shadow the application packages)."""
