"""Thin HTTP routers over the layers: REST under /api/v1 (TAXII 2.1 comes under /taxii2/)."""
