"""Test support shipped with the package: factories (zh_CN data) and role helpers."""
