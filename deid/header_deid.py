"""De-identify a DICOM header to the PS3.15 Annex E Basic Application Level Confidentiality Profile.

Every element, at every depth, is looked up in the profile table
(:mod:`phiphantom.core.profile`, with the selected options applied) and gets
its action: X remove, Z empty, D dummy, U remapped UID, K keep, C clean.
Actions are resolved with the attribute's Type in the object's IOD, at any depth
(:func:`phiphantom.core.profile.annex_e.conformant_action`), so the output stays a
valid instance: combined actions (X/Z, X/D, X/Z/D, Z/D, X/Z/U*) as PS3.15 E.1.1
says, and an X or Z on an attribute the IOD requires becomes a dummy (Type 1) or
an empty value (Type 2). A sequence the profile replaces with a dummy (D, e.g.
an SR Content Sequence) keeps its items: the values directly in them that could
carry identity (text, names, dates, times) become dummies, the rest gets its own
action. Private data is removed (unless on the explicit safe-private list with
Retain Safe Private), overlay planes (60xx) and curves (50xx) are removed unless
Clean Graphics is chosen, public elements the data dictionary does not know
(and group lengths) are removed unless the engine option ``keep_unknown`` is
given, and the file meta is kept in step. A kept element holding what its tag cannot
(:mod:`.element_limits`: a VR the dictionary does not allow, a value too long for its VR, more values
than its multiplicity) is removed too (dummy/empty where the IOD requires it); one describing the pixel
data makes the file a MalformedDicom rejection. The audit lists which path got which
action, never a value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR, get_entry
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag

from phiphantom.core.profile import attribute_type, effective_action
from phiphantom.core.profile.annex_e import OPTIONS, conformant_action
from phiphantom.core.profile.iod_types import nested_attribute_type

from .element_limits import PIXEL_DESCRIPTION_TAGS, malformed_reason
from .pseudonyms import Pseudonymizer, shift_da, shift_dt
from .structure import FileRejected
from .text_clean import TextCleaner

#: CID 7050 De-identification Method codes (scheme DCM).
CID_7050 = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "clean_pixel_data": ("113101", "Clean Pixel Data Option"),
    "clean_graphics": ("113103", "Clean Graphics Option"),
    "clean_structured_content": ("113104", "Clean Structured Content Option"),
    "clean_descriptors": ("113105", "Clean Descriptors Option"),
    "retain_long_full_dates": ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    "retain_long_modified_dates": ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    "retain_patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain_device_identity": ("113109", "Retain Device Identity Option"),
    "retain_uids": ("113110", "Retain UIDs Option"),
    "retain_safe_private": ("113111", "Retain Safe Private Option"),
    "retain_institution_identity": ("113112", "Retain Institution Identity Option"),
}

DUMMY_TEXT = "ANONYMIZED"
DUMMY_BY_VR = {
    "AE": "ANONYMIZED", "AS": "000Y", "CS": "ANONYMIZED", "DA": "19000101", "DS": "0", "DT": "19000101000000",
    "IS": "0", "LO": DUMMY_TEXT, "LT": DUMMY_TEXT, "PN": DUMMY_TEXT, "SH": DUMMY_TEXT, "ST": DUMMY_TEXT,
    "TM": "000000", "UC": DUMMY_TEXT, "UT": DUMMY_TEXT, "UR": "",
}
TEXT_VRS = frozenset({"LO", "LT", "SH", "ST", "UC", "UT", "PN"})
ICON_IMAGE_SEQUENCE = Tag(0x0088, 0x0200)
_PATIENT_PSEUDONYM_TAGS = frozenset({Tag(0x0010, 0x0010), Tag(0x0010, 0x0020)})  # PatientName, PatientID
_BINARY_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN"})
#: VRs of values that may carry identity: in the items of a sequence the profile replaces with a dummy (D),
#: such values the profile does not list get a dummy too (codes, numbers, UIDs and binary data do not).
_IDENTIFYING_VRS = frozenset({"AE", "AS", "DA", "DT", "TM", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"})
_TYPE_1 = frozenset({"1", "1C"})

#: Engine options that are not PS3.15 profile options (given like them: ``--option keep_unknown``).
#: ``keep_unknown``: keep public elements the data dictionary does not know (removed by default).
ENGINE_OPTIONS: tuple[str, ...] = ("keep_unknown",)


class DeidError(RuntimeError):
    """A file that cannot be de-identified (message never contains a value)."""


@dataclass(frozen=True)
class DeidOptions:
    """Profile options (names from ``phiphantom.core.profile.annex_e.OPTIONS``) and their settings."""

    options: frozenset[str] = frozenset()
    safe_private: frozenset[tuple[str, int]] = frozenset()   # (private creator, element offset 0x00-0xFF)
    date_shift_range: tuple[int, int] = (-3650, -1)

    def __post_init__(self) -> None:
        unknown = set(self.options) - set(OPTIONS) - set(ENGINE_OPTIONS)
        if unknown:
            raise ValueError(f"unknown profile option(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(OPTIONS + ENGINE_OPTIONS)}")
        if {"retain_long_full_dates", "retain_long_modified_dates"} <= set(self.options):
            raise ValueError("choose either retain_long_full_dates or retain_long_modified_dates, not both")

    def has(self, name: str) -> bool:
        return name in self.options

    @property
    def profile_options(self) -> frozenset[str]:
        """The PS3.15 profile options among :attr:`options` (engine options such as keep_unknown left out)."""
        return frozenset(o for o in self.options if o in OPTIONS)


@dataclass
class HeaderResult:
    """What was done (paths and actions only) and the pseudonym mapping (only written on request)."""

    actions: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {original: pseudonym}
    date_shift_days: int | None = None
    unknown_removed: int = 0   # public elements the data dictionary does not know, removed (any depth)
    malformed_removed: int = 0  # kept elements whose VR, length or multiplicity their tag cannot have, removed
    #                             (or replaced by a dummy/empty value where the IOD requires them; any depth)


def _path(prefix: str, tag: BaseTag) -> str:
    return f"{prefix}({tag.group:04X},{tag.element:04X})"


def _raw_vr(ds: Dataset, tag: BaseTag) -> str:
    """The VR of an element without decoding its value (implicit VR files: from the dictionary).

    A known tag stored as UN (explicit VR files written by a tool that did not know it) is read with
    its dictionary VR, as pydicom does on access, so it gets the profile action of its tag."""
    vr = ds.get_item(tag).VR
    if vr and vr != "UN":
        return str(vr)
    if vr == "UN":
        return str(ds[tag].VR)  # pydicom replaces UN by the dictionary VR of a known tag when it decodes it
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


@functools.lru_cache(maxsize=4096)
def _is_known(tag: int) -> bool:
    """Whether the data dictionary (with its repeating groups) defines this public tag."""
    try:
        get_entry(tag)
        return True
    except KeyError:
        return False


def _is_graphics_group(tag: BaseTag) -> bool:
    """Overlay planes 6000-601E and curves 5000-501E (even groups only)."""
    return tag.group % 2 == 0 and (0x6000 <= tag.group <= 0x601E or 0x5000 <= tag.group <= 0x501E)


class HeaderDeidentifier:
    """Applies the profile to one dataset. Create one per file."""

    def __init__(self, options: DeidOptions, pseudonymizer: Pseudonymizer, ds: Dataset) -> None:
        self.options = options
        self.pz = pseudonymizer
        self.result = HeaderResult()
        self.sop_class = str(ds.get("SOPClassUID", ""))
        self.present = {int(t) for t in ds.keys()}
        self.patient_key = self._patient_key(ds)
        self.shift = (self.pz.date_shift_days(self.patient_key)
                      if options.has("retain_long_modified_dates") else None)
        self.result.date_shift_days = self.shift
        self.profile_options = options.profile_options
        self.keep_unknown = options.has("keep_unknown")
        cleans_text = options.has("clean_descriptors") or options.has("clean_structured_content")
        self.cleaner = TextCleaner.from_dataset(ds, self.pz) if cleans_text else None

    @staticmethod
    def _patient_key(ds: Dataset) -> str:
        """What identifies the patient for pseudonyms and date shifts (PatientID, else name+birth date, else study)."""
        pid = str(ds.get("PatientID", "") or "").strip()
        if pid:
            return pid
        fallback = f"{ds.get('PatientName', '')}|{ds.get('PatientBirthDate', '')}".strip("|")
        return fallback or str(ds.get("StudyInstanceUID", "")) or "unknown-patient"

    # -- entry point ---------------------------------------------------------
    def run(self, ds: Dataset) -> HeaderResult:
        original_sop = str(ds.get("SOPInstanceUID", ""))
        self._walk(ds, "", ())
        if "SOPInstanceUID" in ds and hasattr(ds, "file_meta") and "MediaStorageSOPInstanceUID" in ds.file_meta:
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            self.result.actions["(0002,0003)"] = "U" if ds.SOPInstanceUID != original_sop else "K"
        return self.result

    # -- traversal -----------------------------------------------------------
    def _walk(self, ds: Dataset, prefix: str, context: tuple[int, ...], mode: str = "") -> None:
        """Apply the profile to every element of ``ds``. Elements the profile keeps are not decoded (only
        their tag and VR are looked at), which is most of a header and most of the time.

        ``context``: the sequence tags above ``ds`` (empty at the top level), for the attributes' Types.
        ``mode``: ``"D"`` in the items of a sequence replaced with a dummy, ``"C"`` in those of a cleaned
        one: values there the profile does not list but that could identify get a dummy (or are cleaned).
        """
        kept_private_blocks: set[tuple[int, int]] = set()
        options = self.profile_options
        for tag in list(ds.keys()):  # BaseTag keys: no value is decoded here
            group = tag >> 16
            if group & 1:  # private
                if 0x0010 <= (tag & 0xFFFF) <= 0x00FF:
                    continue  # a private creator: decided after its block (kept only when part of it is)
                path = _path(prefix, tag)
                if self._keep_private(ds, ds[tag]):
                    kept_private_blocks.add((tag.group, tag.element >> 8))
                    self.result.actions[path] = "K"
                else:
                    del ds[tag]
                    self.result.actions[path] = "X"
                continue
            if _is_graphics_group(tag):
                path = _path(prefix, tag)
                if self.options.has("clean_graphics") and tag.group < 0x6020 and tag.group >= 0x6000:
                    self._clean_graphics(ds, ds[tag], path)
                else:
                    del ds[tag]
                    self.result.actions[path] = "X"
                continue
            if not tag & 0xFFFF:  # a group length (retired, and wrong once elements are removed)
                del ds[tag]
                self.result.actions[_path(prefix, tag)] = "X"
                continue
            if not _is_known(tag):  # undefined public tag: not known to be safe
                path = _path(prefix, tag)
                if self.keep_unknown:
                    self.result.actions[path] = "K"
                else:
                    del ds[tag]
                    self.result.actions[path] = "X"
                    self.result.unknown_removed += 1
                continue
            action = "X" if tag == ICON_IMAGE_SEQUENCE else effective_action(tag, options)
            if action in (None, "K") and self._drop_malformed(ds, tag, prefix, context):
                continue
            if action is None:
                vr = _raw_vr(ds, tag)
                if vr == "SQ":
                    self._walk_items(ds[tag], _path(prefix, tag), context + (tag,))
                elif mode and vr in _IDENTIFYING_VRS:
                    self._unlisted_in_sequence(ds[tag], _path(prefix, tag), mode)
                continue
            path = _path(prefix, tag)
            attr_type = (nested_attribute_type(self.sop_class, context + (tag,)) if context
                         else attribute_type(self.sop_class, tag, self.present))
            action = conformant_action(action, attr_type)
            if action == "D" and attr_type in _TYPE_1 and _raw_vr(ds, tag) in _BINARY_VRS - {"UN"} and ds[tag].value:
                raise DeidError(f"{path} is Type {attr_type} in this object type and holds binary data the profile "
                                "replaces; no valid dummy exists, so this object type is not supported")
            if action == "X":  # removal needs no decoding of the value
                del ds[tag]
                self.result.actions[path] = "X"
                continue
            if action == "Z" and tag not in _PATIENT_PSEUDONYM_TAGS:  # emptying needs only the VR
                vr = _raw_vr(ds, tag)
                ds[tag] = DataElement(tag, vr, Sequence() if vr == "SQ" else (b"" if vr in _BINARY_VRS else ""))
                self.result.actions[path] = "Z"
                continue
            self._apply(ds, ds[tag], action, path, context + (tag,))
        for tag in [t for t in ds.keys() if t.is_private_creator]:  # creators of removed blocks go too
            if (tag.group, tag.element) not in kept_private_blocks:
                del ds[tag]
                self.result.actions[_path(prefix, tag)] = "X"

    def _drop_malformed(self, ds: Dataset, tag: BaseTag, prefix: str, context: tuple[int, ...]) -> bool:
        """A kept element that holds what its tag cannot (a wrong VR, a value too long for its VR, more values
        than its multiplicity: :mod:`.element_limits`) is not kept: it may hide anything. Removed, or where
        the IOD requires it a dummy (Type 1) or empty value (Type 2) of its dictionary VR. One that says how
        the pixel data is read (Rows, Bits Stored...) makes the file unreadable: MalformedDicom."""
        reason = malformed_reason(ds, tag)
        if reason is None:
            return False
        path = _path(prefix, tag)
        if not context and int(tag) in PIXEL_DESCRIPTION_TAGS:
            raise FileRejected("MalformedDicom",
                               f"{path} is malformed ({reason}); the pixel data cannot be read safely")
        attr_type = (nested_attribute_type(self.sop_class, context + (tag,)) if context
                     else attribute_type(self.sop_class, tag, self.present))
        action = conformant_action("X", attr_type)
        if action == "X":
            del ds[tag]
        else:
            vr = dictionary_VR(tag).split(" or ")[0]
            ds[tag] = DataElement(tag, vr, Sequence() if vr == "SQ" else (b"" if vr in _BINARY_VRS else ""))
            if action == "D" and vr != "SQ":
                self._dummy(ds[tag], path)
        self.result.actions[path] = action
        self.result.malformed_removed += 1
        return True

    def _walk_items(self, elem: DataElement, path: str, context: tuple[int, ...], mode: str = "") -> None:
        for i, item in enumerate(elem.value or []):
            self._walk(item, f"{path}[{i}].", context, mode)

    def _unlisted_in_sequence(self, elem: DataElement, path: str, mode: str) -> None:
        """A value the profile does not list, directly in an item of a D (dummy) or C (cleaned) sequence."""
        if mode == "C" and elem.VR in TEXT_VRS and elem.VR != "PN" and self.cleaner is not None:
            elem.value = self.cleaner.clean(elem.value)
            self.result.actions[path] = "C"
        elif elem.value not in (None, ""):
            self._dummy(elem, path)
            self.result.actions[path] = "D"

    def _keep_private(self, ds: Dataset, elem: DataElement) -> bool:
        if not self.options.has("retain_safe_private"):
            return False
        creator_tag = Tag(elem.tag.group, elem.tag.element >> 8)
        creator = ds.get(creator_tag)
        if creator is None:
            return False
        return (str(creator.value).strip(), elem.tag.element & 0xFF) in self.options.safe_private

    # -- actions -------------------------------------------------------------
    def _apply(self, ds: Dataset, elem: DataElement, action: str, path: str, context: tuple[int, ...]) -> None:
        tag, vr = elem.tag, elem.VR
        keyword = elem.keyword
        if action == "X":
            del ds[tag]
        elif keyword in ("PatientID", "PatientName") and action in ("Z", "D", "C"):
            action = "D"
            self._pseudonymise_patient(elem)
        elif action == "Z":
            elem.value = Sequence() if vr == "SQ" else ("" if vr not in ("OB", "OW", "UN") else b"")
        elif action == "D":
            if vr == "SQ":  # a dummy sequence keeps its items, with dummies for what could identify
                self._walk_items(elem, path, context, mode="D")
            else:
                self._dummy(elem, path)
        elif action == "U":
            self._remap_uid(elem)
        elif action in ("K", "U*"):
            if vr == "SQ":
                self._walk_items(elem, path, context)
        elif action == "C":
            self._clean(ds, elem, path, context)
        else:
            raise DeidError(f"unhandled profile action {action!r} at {path}")
        self.result.actions[path] = action

    def _pseudonymise_patient(self, elem: DataElement) -> None:
        mapping = self.result.mapping.setdefault(elem.keyword, {})
        if elem.keyword == "PatientID":
            new = self.pz.patient_id(self.patient_key, 64)
        else:
            new = self.pz.patient_name(self.patient_key)
        if elem.value not in (None, ""):
            mapping[str(elem.value)] = new
        elem.VR = "LO" if elem.keyword == "PatientID" else "PN"  # the file may say OB, UN, SS... (found by the fuzzer)
        elem.value = new

    def _dummy(self, elem: DataElement, path: str) -> None:
        vr = elem.VR
        if vr == "SQ":
            elem.value = Sequence()
        elif vr == "UI":
            self._remap_uid(elem)
        elif vr == "DA" and self.shift is not None:
            elem.value = self._shift_values(elem.value, shift_da)
        elif vr == "DT" and self.shift is not None:
            elem.value = self._shift_values(elem.value, shift_dt)
        elif vr in DUMMY_BY_VR:
            elem.value = DUMMY_BY_VR[vr]
        else:  # binary and numeric VRs: zero length
            elem.value = b"" if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN") else None

    def _remap_uid(self, elem: DataElement) -> None:
        value = elem.value
        if value in (None, ""):
            return
        mapping = self.result.mapping.setdefault("UID", {})
        values = list(value) if isinstance(value, (list, MultiValue)) else [value]
        new = []
        for v in values:
            mapped = self.pz.uid(str(v))
            mapping[str(v)] = mapped
            new.append(mapped)
        elem.value = new if len(new) > 1 else new[0]

    def _shift_values(self, value, shifter):
        if value in (None, ""):
            return value
        values = list(value) if isinstance(value, (list, MultiValue)) else [value]
        out = [shifter(str(v), self.shift) for v in values]
        return out if len(out) > 1 else out[0]

    def _clean(self, ds: Dataset, elem: DataElement, path: str, context: tuple[int, ...]) -> None:
        """C: shift dates (modified dates), clean free text (descriptors), recurse (structured content: free
        text directly in the items, e.g. an SR TEXT item's value, is cleaned like a descriptor)."""
        vr = elem.VR
        if vr == "SQ":
            self._walk_items(elem, path, context, mode="C")
        elif vr in ("DA", "DT") and self.shift is not None:
            elem.value = self._shift_values(elem.value, shift_da if vr == "DA" else shift_dt)
        elif vr == "TM":
            pass  # times are kept when dates are shifted by whole days (intervals stay exact)
        elif vr in TEXT_VRS and self.cleaner is not None:
            elem.value = self.cleaner.clean(elem.value)
        else:
            self._dummy(elem, path)

    def _clean_graphics(self, ds: Dataset, elem: DataElement, path: str) -> None:
        """Clean Graphics: overlay planes stay, their bitmap is cleared and text attributes emptied."""
        element = elem.tag.element
        if element == 0x3000:  # Overlay Data
            elem.value = bytes(len(elem.value or b""))
            self.result.actions[path] = "C"
        elif element in (0x0022, 0x1500, 0x4000):  # description, label, comments
            elem.value = ""
            self.result.actions[path] = "C"
        else:
            self.result.actions[path] = "K"


def attestation(ds: Dataset, options: DeidOptions, pixel_cleaned: bool, result: HeaderResult, version: str) -> None:
    """PatientIdentityRemoved, DeidentificationMethod(+CodeSequence), LongitudinalTemporalInformationModified."""
    chosen = ["basic"] + [o for o in OPTIONS if options.has(o) and o in CID_7050]
    if pixel_cleaned:
        chosen.insert(1, "clean_pixel_data")
    ds.PatientIdentityRemoved = "YES"
    # LO, one value per item (each <= 64 characters): the tool, then the profile and options applied
    ds.DeidentificationMethod = [f"PHI Phantom {version}"[:64]] + [CID_7050[c][1][:64] for c in chosen]
    items = []
    for name in chosen:
        code, meaning = CID_7050[name]
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    if options.has("retain_long_full_dates"):
        ds.LongitudinalTemporalInformationModified = "UNMODIFIED"
    elif options.has("retain_long_modified_dates"):
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
    else:
        ds.LongitudinalTemporalInformationModified = "REMOVED"
    if pixel_cleaned:
        ds.BurnedInAnnotation = "NO"
    result.codes = [CID_7050[c][0] for c in chosen]

