"""Kechuang (科创街区平台): the platform of an institute–district–enterprise cooperation district."""

__version__ = "0.1.0"
