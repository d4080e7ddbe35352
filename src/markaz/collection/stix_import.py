"""STIX 2.1 bundles and TAXII envelopes from other systems, turned into reports through intake."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination import stix
from markaz.errors import InvalidInput, MalformedBody
from markaz.storage.principals import Principal

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,249}$")
_ID = re.compile(
    r"^([a-z0-9][a-z0-9-]{0,249})--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
REPORT_LIKE = ("report", "grouping")
# Things whose name becomes the observation's subject when they are located at a location.
SUBJECT_TYPES = ("identity", "threat-actor", "intrusion-set", "campaign", "infrastructure")
RESTRICTED_TLP = ("RED", "AMBER+STRICT")


@dataclass
class Outcome:
    """What became of one object of the bundle: every object gets exactly one."""

    id: str
    version: str | None
    imported: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "message": self.message}
        if self.version is not None:
            out["version"] = self.version
        return out


@dataclass
class ImportResult:
    outcomes: list[Outcome] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    @property
    def successes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.imported]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.imported]


def _version(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("modified") or obj.get("created")
    return str(value) if value is not None else None


def check_envelope(doc: Any) -> list[dict[str, Any]]:
    """The objects of a bundle or TAXII envelope; anything malformed refuses the whole document."""
    if not isinstance(doc, dict):
        raise MalformedBody("send a STIX bundle or a TAXII envelope: a JSON object with an 'objects' list")
    kind = doc.get("type")
    if kind is not None and kind != "bundle":
        raise InvalidInput(f"a {kind!r} object is not a bundle; wrap STIX objects in a bundle", field="type")
    objects = doc.get("objects")
    if objects is None:
        objects = []
    if not isinstance(objects, list):
        raise InvalidInput("'objects' must be a list of STIX objects", field="objects")
    for i, obj in enumerate(objects):
        where = f"objects.{i}"
        if not isinstance(obj, dict):
            raise InvalidInput(f"{where}: a STIX object is a JSON object", field=where)
        kind = obj.get("type")
        if not isinstance(kind, str) or not _TYPE.match(kind):
            raise InvalidInput(f"{where}.type: missing or not a STIX type name", field=f"{where}.type")
        sid = obj.get("id")
        match = _ID.match(sid) if isinstance(sid, str) else None
        if match is None or match.group(1) != kind:
            raise InvalidInput(f"{where}.id: must be '{kind}--<uuid>'", field=f"{where}.id")
        spec = obj.get("spec_version")
        if spec is not None and spec != stix.SPEC_VERSION:
            raise InvalidInput(
                f"{where}.spec_version: only STIX 2.1 is accepted", field=f"{where}.spec_version"
            )
        if spec is None and kind in (*REPORT_LIKE, "location", "relationship", "marking-definition"):
            raise InvalidInput(f"{where}.spec_version: required ('2.1')", field=f"{where}.spec_version")
        for key in ("object_refs", "object_marking_refs"):
            refs = obj.get(key)
            if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
                raise InvalidInput(
                    f"{where}.{key}: must be a list of STIX identifiers", field=f"{where}.{key}"
                )
        confidence = obj.get("confidence")
        if confidence is not None and (
            isinstance(confidence, bool) or not isinstance(confidence, int) or not 0 <= confidence <= 100
        ):
            raise InvalidInput(
                f"{where}.confidence: must be a whole number from 0 to 100", field=f"{where}.confidence"
            )
        extensions = obj.get("extensions")
        if extensions is not None and not (
            isinstance(extensions, dict) and all(isinstance(e, dict) for e in extensions.values())
        ):
            raise InvalidInput(
                f"{where}.extensions: must map extension ids to extension objects",
                field=f"{where}.extensions",
            )
        for key in ("created", "modified"):
            if key in obj:
                try:
                    stix.parse_ts(str(obj[key]))
                except ValueError:
                    raise InvalidInput(
                        f"{where}.{key}: not a STIX timestamp", field=f"{where}.{key}"
                    ) from None
    return objects


def _tlp_of(obj: Mapping[str, Any], index: Mapping[str, dict[str, Any]]) -> str | None:
    for ref in obj.get("object_marking_refs") or []:
        if ref in stix.TLP_BY_MARKING:
            return stix.TLP_BY_MARKING[ref]
        marking = index.get(ref)
        if marking is None:
            continue
        tlp2 = (marking.get("extensions") or {}).get(stix.TLP_EXTENSION_ID, {}).get("tlp_2_0")
        if isinstance(tlp2, str) and tlp2.upper() in stix.TLP_MARKINGS:
            return tlp2.upper()
        label = _tlp_label(marking)
        if label is not None:
            return label
    return None


def _tlp_label(marking: Mapping[str, Any]) -> str | None:
    """TLP of a marking definition in the shapes producers use: STIX 2.1 TLP 1.0 (`definition.tlp`),
    OpenCTI (`definition_type: TLP`, `definition.TLP: "TLP:AMBER+STRICT"`), or only a `TLP:` name."""
    definition = marking.get("definition")
    values: list[Any] = []
    if isinstance(definition, dict):
        values += [definition.get("tlp"), definition.get("TLP")]
    if str(marking.get("definition_type", "")).lower() == "tlp" or not values:
        values.append(marking.get("name"))
    for value in values:
        if not isinstance(value, str):
            continue
        label = value.upper().removeprefix("TLP:").strip()
        label = "CLEAR" if label == "WHITE" else label
        if label in stix.TLP_MARKINGS:
            return label
    return None


def _ext(obj: Mapping[str, Any]) -> dict[str, Any]:
    found = (obj.get("extensions") or {}).get(stix.EXTENSION_ID)
    return found if isinstance(found, dict) else {}


@dataclass
class _Item:
    report_id: str
    consumed: list[str]
    payload: dict[str, Any]


def plan(objects: Sequence[dict[str, Any]], member: str) -> tuple[list[_Item], dict[str, str]]:
    """Reports to submit (with the objects each consumes) and why the others are not imported."""
    index: dict[str, dict[str, Any]] = {}
    for obj in objects:
        known = index.get(obj["id"])
        if known is None or str(_version(obj) or "") >= str(_version(known) or ""):
            index[obj["id"]] = obj
    located: dict[
        str, list[dict[str, Any]]
    ] = {}  # location id -> things located there (with the relationship)
    for obj in index.values():
        if obj["type"] == "relationship" and obj.get("relationship_type") == "located-at":
            source = index.get(str(obj.get("source_ref")))
            if source is not None and str(obj.get("target_ref", "")).startswith("location--"):
                located.setdefault(str(obj["target_ref"]), []).append({"thing": source, "via": obj["id"]})
    items: list[_Item] = []
    reasons: dict[str, str] = {}
    for obj in index.values():
        if obj["type"] not in REPORT_LIKE:
            continue
        ext = _ext(obj)
        consumed = [obj["id"]]
        observations: list[dict[str, Any]] = []
        for ref in obj.get("object_refs") or []:
            target = index.get(ref)
            if target is None or target["type"] != "location":
                continue
            lext = _ext(target)
            geometry = lext.get("geometry")
            if geometry is None and "latitude" in target and "longitude" in target:
                geometry = {"type": "Point", "coordinates": [target["longitude"], target["latitude"]]}
            if geometry is None:
                reasons[ref] = "a location without coordinates (region or country only) is not imported"
                continue
            things = located.get(ref, [])
            subject = lext.get("subject")
            if subject is None and not lext:
                # Not from markaz: the name of a group (or failing that a thing) located there.
                named = [
                    t["thing"]
                    for t in things
                    if t["thing"]["type"] in SUBJECT_TYPES and t["thing"].get("name")
                ]
                grouped = [t for t in named if t["type"] != "infrastructure"]
                subject = (grouped or named or [{}])[0].get("name")
            observation: dict[str, Any] = {"category": lext.get("category", "other"), "geometry": geometry}
            for key in ("observed_at", "note"):
                if lext.get(key) is not None:
                    observation[key] = lext[key]
            if subject is not None:
                observation["subject"] = subject
            observations.append(observation)
            consumed.append(ref)
            for t in things:
                consumed += [t["via"], t["thing"]["id"]]
        tlp = _tlp_of(obj, index) or "AMBER"
        payload: dict[str, Any] = {
            "title": obj.get("name") or "",
            "body": obj.get("description") or "",
            "tlp": tlp,
            "observations": observations,
            "client_ref": f"stix:{obj['id']}:{_version(obj) or ''}"[:200],
            "releasable_to": [member] if tlp in RESTRICTED_TLP else ["ALL"],
            "information_credibility": stix.credibility_from_confidence(obj.get("confidence")),
        }
        if obj.get("lang"):
            payload["language"] = obj["lang"]
        for key in (
            "precedence",
            "source_reliability",
            "information_credibility",
            "releasable_to",
            "observed_at",
        ):
            if key in ext:
                payload[key] = ext[key]
        items.append(_Item(obj["id"], consumed, payload))
    return items, reasons


def _reference_reason(obj: Mapping[str, Any], used: set[str], authors: set[str]) -> tuple[bool, str]:
    kind = obj["type"]
    if kind == "marking-definition":
        if obj["id"] in used or obj["id"] in stix.TLP_BY_MARKING:
            return True, "a TLP marking: imported reports carry their TLP"
        if _tlp_label(obj) is not None:
            return False, "a TLP marking no imported report uses"
        return False, "not a TLP marking; markaz keeps only TLP, so this marking is not stored"
    if kind == "extension-definition" and obj["id"] == stix.EXTENSION_ID:
        return True, "the markaz extension: its properties are imported with the reports"
    if kind == "identity" and obj["id"] in authors:
        return True, "the author identity: imported reports are stored as submitted by the posting member"
    if kind == "identity" and _ext(obj).get("member_code"):
        return True, "a markaz member's identity: members are known by their code, nothing to store"
    if kind in REPORT_LIKE:
        return False, "not imported"
    return (
        False,
        f"{kind} objects have no markaz equivalent unless located at a location of a report; not imported",
    )


def import_objects(centre: Centre, principal: Principal, objects: Sequence[dict[str, Any]]) -> ImportResult:
    """Submit every report of the bundle through `intake.submit`; report what became of each object."""
    items, reasons = plan(objects, principal.member)
    result = ImportResult()
    stored: dict[str, str] = {}  # object id -> message of success
    failed: dict[str, str] = {}
    if items:
        outcomes = intake.submit(centre, principal, [i.payload for i in items])
        for item, r in zip(items, outcomes, strict=True):
            if r.error is not None:
                failed[item.report_id] = f"refused: {r.error.message}"
                for oid in item.consumed[1:]:
                    failed.setdefault(oid, f"its report {item.report_id} was refused")
                continue
            assert r.id is not None
            (result.created if r.status == "created" else result.existing).append(r.id)
            verb = "stored as report" if r.status == "created" else "already stored as report"
            for oid in item.consumed:
                stored[oid] = f"{verb} {r.id}" if oid == item.report_id else f"part of report {r.id}"
    reports_stored = {i.report_id for i in items if i.report_id in stored}
    used_markings = {
        ref for o in objects if o["id"] in reports_stored for ref in o.get("object_marking_refs") or []
    }
    authors = {str(o.get("created_by_ref")) for o in objects if o.get("created_by_ref")}
    for obj in objects:
        oid = obj["id"]
        if oid in stored:
            result.outcomes.append(Outcome(oid, _version(obj), True, stored[oid]))
        elif oid in failed:
            result.outcomes.append(Outcome(oid, _version(obj), False, failed[oid]))
        elif oid in reasons:
            result.outcomes.append(Outcome(oid, _version(obj), False, reasons[oid]))
        else:
            ok, message = _reference_reason(obj, used_markings, authors)
            result.outcomes.append(Outcome(oid, _version(obj), ok, message))
    return result


def import_document(centre: Centre, principal: Principal, doc: Any) -> ImportResult:
    intake.require_writer(principal)
    return import_objects(centre, principal, check_envelope(doc))
