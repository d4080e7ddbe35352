"""TAXII 2.1 server core: framework-free handlers, (centre, request) -> (headers, status, content).

protocol: the request, media types, authentication, error bodies, `handle`; catalogue: discovery,
the API root and each member's collections; objects: reading and paging; writes: posting
envelopes, status resources, deletion as retraction. `api/taxii.py` adapts them to HTTP.
"""

from markaz.dissemination.taxii.catalogue import (
    KINDS,
    Collection,
    api_root,
    collection,
    collection_id,
    collections,
    discovery,
)
from markaz.dissemination.taxii.objects import get_manifest, get_object, get_objects, get_versions
from markaz.dissemination.taxii.protocol import (
    API_ROOT,
    STIX_MEDIA,
    TAXII_MEDIA,
    Limiter,
    NotAcceptable,
    Response,
    TaxiiRequest,
    authenticate,
    error_response,
    handle,
)
from markaz.dissemination.taxii.writes import STATUS_KEEP, add_objects, delete_object, get_status

__all__ = [
    "API_ROOT",
    "KINDS",
    "STATUS_KEEP",
    "STIX_MEDIA",
    "TAXII_MEDIA",
    "Collection",
    "Limiter",
    "NotAcceptable",
    "Response",
    "TaxiiRequest",
    "add_objects",
    "api_root",
    "authenticate",
    "collection",
    "collection_id",
    "collections",
    "delete_object",
    "discovery",
    "error_response",
    "get_manifest",
    "get_object",
    "get_objects",
    "get_status",
    "get_versions",
    "handle",
]
