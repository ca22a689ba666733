"""Build IOD-complete Ultrasound (Multi-frame) Image objects with PHI in the headers.

Modules written (PS3.3 A.6/A.7): Patient, General Study, Patient Study, General
Series, General Equipment, General Image, Image Pixel, US Region Calibration,
US Image, Cine + Multi-frame (cines), Overlay Plane (single frames), SOP Common.

PHI goes into the standard attributes and into the hidden places real data
has: Other Patient IDs Sequence, nested request / referenced-patient
sequences, a private block, free text, an overlay bitmap, an icon thumbnail and
(optionally) the file name. Every such value is recorded by
:class:`TagRecorder` for ``gt/tags.csv``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels.utils import pack_bits
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEGBaseline8Bit

from phiphantom.core.colour import LUMA_WEIGHTS
from phiphantom.core.ground_truth import TagRow

from .compose import Composition, acquisition_start
from .fonts import load_font
from .overlay_content import format_date, format_name
from .overlay_plane import add_overlay_plane
from .plan import FileJob, filename_part
from .seeding import rng_for, uid_for
from .tag_recorder import Scope, TagRecorder

US_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.6.1")
US_MULTIFRAME_STORAGE = UID("1.2.840.10008.5.1.4.1.1.3.1")
IMPLEMENTATION_CLASS_UID = UID(uid_for("phiphantom", "implementation-class"))
IMPLEMENTATION_VERSION = "PHIPHANTOM_01"
MANUFACTURER = "PhantomSonics"
#: Model codes, not words: a kept constant must never look like a patient's name to a leak scan.
MODEL_BY_LAYOUT = {
    "banner": "PS-A500", "top_left_block": "PS-L300", "split_top": "PS-V220", "left_column": "PS-K100",
    "bottom_bar": "PS-P20", "mixed": "PS-L900", "region_corner": "PS-A700", "top_stack": "PS-C10",
}
PRIVATE_CREATOR = "SYNTHSONO PATIENT 1.0"
HIDDEN_PROBABILITY = {  # chance that each hidden place carries PHI, by difficulty
    "easy": dict(private=0.0, free_text=0.0, overlay=0.0, icon=0.0),
    "realistic": dict(private=0.7, free_text=0.8, overlay=0.4, icon=0.4),
    "hard": dict(private=1.0, free_text=1.0, overlay=1.0, icon=1.0),
}


def sop_instance_uid(job: FileJob) -> str:
    return uid_for(job.global_seed, job.identity.patient_key, job.study_index, job.instance_number, "sop")


def build_dataset(job: FileJob, comp: Composition) -> tuple[Dataset, TagRecorder, dict]:
    """The dataset for ``job`` with pixels from ``comp``; returns (dataset, recorder, pixel info)."""
    rng = rng_for(job.seed, "header")
    hidden = {k: bool(rng.random() < p) for k, p in HIDDEN_PROBABILITY[job.difficulty].items()}
    rec = TagRecorder()
    ds = Dataset()
    top = Scope(ds)
    idn, study = job.identity, job.study
    sop_uid = sop_instance_uid(job)
    cine = comp.frames.shape[0] > 1
    sop_class = US_MULTIFRAME_STORAGE if cine else US_IMAGE_STORAGE
    acq = acquisition_start(job)
    acq_da, acq_tm = acq.strftime("%Y%m%d"), acq.strftime("%H%M%S")

    # SOP Common
    rec.put(top, "SpecificCharacterSet", "ISO_IR 192")
    rec.put(top, "SOPClassUID", sop_class)
    rec.put(top, "SOPInstanceUID", sop_uid, "uid")
    rec.put(top, "InstanceCreationDate", acq_da, "date")
    rec.put(top, "InstanceCreationTime", acq_tm, "time")
    # Patient
    rec.put(top, "PatientName", idn.name.dicom, "name")
    rec.put(top, "PatientID", idn.mrn, "patient_id")
    rec.put(top, "IssuerOfPatientID", idn.issuer_of_patient_id, "institution")
    rec.put(top, "PatientBirthDate", idn.birth_da, "birth_date")
    rec.put(top, "PatientSex", idn.sex, "sex")
    items = rec.sequence(top, "OtherPatientIDsSequence", len(idn.other_ids))
    for item, (other_id, issuer) in zip(items, idn.other_ids, strict=False):
        rec.put(item, "PatientID", other_id, "other_id")
        rec.put(item, "IssuerOfPatientID", issuer)
        rec.put(item, "TypeOfPatientID", "TEXT")
    (ref_patient,) = rec.sequence(top, "ReferencedPatientSequence")
    rec.put(ref_patient, "ReferencedSOPClassUID", "1.2.840.10008.3.1.2.1.1")
    rec.put(ref_patient, "ReferencedSOPInstanceUID", uid_for(job.global_seed, idn.patient_key, "patient-record"), "uid")
    rec.put(top, "PatientAddress", idn.address, "address")
    rec.put(top, "PatientTelephoneNumbers", idn.phone, "phone")
    # General Study + Patient Study
    rec.put(top, "StudyInstanceUID", study.study_uid, "uid")
    rec.put(top, "StudyDate", study.da, "date")
    rec.put(top, "StudyTime", study.tm, "time")
    rec.put(top, "ReferringPhysicianName", idn.referring_physician.dicom, "physician")
    rec.put(top, "StudyID", study.study_id, "study_id")
    rec.put(top, "AccessionNumber", study.accession, "accession")
    rec.put(top, "PatientAge", idn.dicom_age(study.date), "age")
    # General Series
    rec.put(top, "Modality", "US")
    rec.put(top, "SeriesInstanceUID", study.series_uid, "uid")
    rec.put(top, "SeriesNumber", 1)
    rec.put(top, "SeriesDate", study.da, "date")
    rec.put(top, "SeriesTime", study.tm, "time")
    rec.put(top, "BodyPartExamined", "CHEST")
    rec.put(top, "PerformingPhysicianName", idn.performing_physician.dicom, "physician")
    rec.put(top, "OperatorsName", idn.operator.dicom, "operator")
    rec.put(top, "SeriesDescription", "LUNG")
    (request,) = rec.sequence(top, "RequestAttributesSequence")
    rec.put(request, "AccessionNumber", study.accession, "accession")
    rec.put(request, "RequestedProcedureID", f"RP{study.study_id}", "study_id")
    rec.put(request, "ScheduledProcedureStepID", f"SPS{study.study_id}", "study_id")
    rec.put(request, "RequestedProcedureDescription", "US LUNG POINT OF CARE")
    # General Equipment
    rec.put(top, "Manufacturer", MANUFACTURER)
    rec.put(top, "ManufacturerModelName", MODEL_BY_LAYOUT.get(comp.layout, "Lumen"))
    rec.put(top, "SoftwareVersions", "1.0")
    rec.put(top, "InstitutionName", idn.institution_name, "institution")
    rec.put(top, "InstitutionAddress", idn.institution_address, "institution_address")
    rec.put(top, "InstitutionalDepartmentName", idn.department, "department")
    rec.put(top, "StationName", idn.station_name, "station")
    rec.put(top, "DeviceSerialNumber", idn.device_serial, "device_serial")
    # General Image
    rec.put(top, "InstanceNumber", job.instance_number)
    rec.put(top, "PatientOrientation", "")
    rec.put(top, "ContentDate", acq_da, "date")
    rec.put(top, "ContentTime", acq_tm, "time")
    rec.put(top, "AcquisitionDate", acq_da, "date")
    rec.put(top, "AcquisitionTime", acq_tm, "time")
    rec.put(top, "ImageType", ["ORIGINAL", "PRIMARY"])
    rec.put(top, "BurnedInAnnotation", "YES")
    rec.put(top, "StudyDescription", "US LUNG POCUS")
    if hidden["free_text"]:
        _free_text(rec, top, job, rng)
    if hidden["private"]:
        _private_block(rec, top, job)
    # US Image acoustic values, consistent with the burned clinical text
    cv = comp.clinical
    rec.put(top, "MechanicalIndex", f"{cv.mi:.1f}")
    rec.put(top, "SoftTissueThermalIndex", f"{cv.tis:.1f}")
    rec.put(top, "DepthOfScanField", int(round(cv.depth_cm * 10)))
    rec.put(top, "TransducerData", [cv.probe_name])
    _region_calibration(top, comp, job)
    pixel_info = _pixels(ds, job, comp, rng)
    if hidden["overlay"] and not cine:
        _overlay(rec, top, job, comp)
    if hidden["icon"] and not job.jpeg:
        _icon(rec, top, comp)
    # File meta
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = JPEGBaseline8Bit if job.jpeg else ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    ds.file_meta = meta
    rec.note(Scope(meta), 0x00020003, "UI", "file-meta", "uid", sop_uid, "exact")
    if job.phi_filename:
        rec.records.append(_filename_record("name", filename_part(job.identity.name.family)))
        rec.records.append(_filename_record("patient_id", filename_part(job.identity.mrn)))
    return ds, rec, pixel_info


def _filename_record(category: str, value: str) -> TagRow:
    return TagRow(file="", sop_instance_uid="", tag_path="filename", keyword="", vr="", location_kind="filename",
                  category=category, injected_value=value, match="contains", expected_action="", leaf_action="")


def _free_text(rec: TagRecorder, top: Scope, job: FileJob, rng) -> None:
    """Names, IDs, phone numbers and dates typed into free-text attributes (as real sites do)."""
    idn, study = job.identity, job.study
    name = format_name(idn.name, "Given Family")
    comments = f"Pt {name} MRN {idn.mrn} scanned at bedside"
    rec.put(top, "ImageComments", comments)
    for cat, value in (("name", name), ("patient_id", idn.mrn)):
        rec.note(top, 0x00204000, "LT", "free-text", cat, value, "contains")
    description = f"US LUNG POCUS {idn.mrn}"
    rec.put(top, "StudyDescription", description)
    rec.note(top, 0x00081030, "LO", "free-text", "patient_id", idn.mrn, "contains")
    pcomm = f"{idn.name.family}, {idn.name.given}: call {idn.phone}"
    rec.put(top, "PatientComments", pcomm)
    for cat, value in (("name", f"{idn.name.family}, {idn.name.given}"), ("phone", idn.phone)):
        rec.note(top, 0x00104000, "LT", "free-text", cat, value, "contains")
    seen = format_date(study.date, "%d.%m.%Y")
    history = f"Dyspnoea. Referred by Dr {idn.referring_physician.family} on {seen}"
    rec.put(top, "AdditionalPatientHistory", history)
    for cat, value in (("physician", idn.referring_physician.family), ("date", seen)):
        rec.note(top, 0x001021B0, "LT", "free-text", cat, value, "contains")


def _private_block(rec: TagRecorder, top: Scope, job: FileJob) -> None:
    """A vendor private block (group 0x0009) carrying the name, MRN and birth date."""
    idn = job.identity
    block = top.ds.private_block(0x0009, PRIVATE_CREATOR, create=True)
    for offset, vr, cat, value in ((0x01, "PN", "name", idn.name.dicom), (0x02, "LO", "patient_id", idn.mrn),
                                   (0x03, "DA", "birth_date", idn.birth_da)):
        block.add_new(offset, vr, value)
        rec.note(top, block.get_tag(offset), vr, "private", cat, value, "exact")


def _region_calibration(top: Scope, comp: Composition, job: FileJob) -> None:
    x0, y0, x1, y1 = comp.image_rect
    region = Dataset()
    region.RegionSpatialFormat = 1  # 2D
    region.RegionDataType = 1       # tissue
    region.RegionFlags = 0
    region.RegionLocationMinX0 = x0
    region.RegionLocationMinY0 = y0
    region.RegionLocationMaxX1 = x1 - 1
    region.RegionLocationMaxY1 = y1 - 1
    region.PhysicalUnitsXDirection = 3  # cm
    region.PhysicalUnitsYDirection = 3
    delta = float(job.depth_cm) / float(y1 - y0)
    region.PhysicalDeltaX = delta
    region.PhysicalDeltaY = delta
    region.ReferencePixelX0 = (x1 - x0) // 2
    region.ReferencePixelY0 = 0
    top.ds.SequenceOfUltrasoundRegions = [region]


def _pixels(ds: Dataset, job: FileJob, comp: Composition, rng) -> dict:
    frames = comp.frames
    n, rows, cols = frames.shape[:3]
    colour = frames.ndim == 4
    ds.SamplesPerPixel = 3 if colour else 1
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if colour:
        ds.PlanarConfiguration = 0
    if n > 1:
        ds.NumberOfFrames = n
        ds.FrameIncrementPointer = 0x00181063
        ds.FrameTime = f"{job.frame_time_ms:.1f}"
        ds.CineRate = max(1, int(round(1000.0 / job.frame_time_ms)))
        ds.RecommendedDisplayFrameRate = ds.CineRate
    info: dict[str, Any] = {"lossless": not job.jpeg,
                            "transfer_syntax": "jpeg-baseline" if job.jpeg else "explicit-le"}
    if not job.jpeg:
        ds.PhotometricInterpretation = "RGB" if colour else "MONOCHROME2"
        ds.LossyImageCompression = "00"
        ds.PixelData = frames.tobytes()
        return info
    span = {"easy": (92, 97), "realistic": (85, 96), "hard": (60, 86)}[job.difficulty]
    if comp.jpeg_quality is not None:  # a style pack's range (inclusive)
        span = (comp.jpeg_quality[0], comp.jpeg_quality[1] + 1)
    quality = int(rng.integers(*span))
    # a style pack's chroma subsampling; 4:4:4 would need YBR_FULL, which the US Image IOD does not allow
    subsampling = comp.chroma_subsampling if comp.chroma_subsampling in ("4:2:0", "4:2:2") else "4:2:2"
    encoded = []
    for frame in frames:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="JPEG", quality=quality, subsampling=subsampling, optimize=False)
        encoded.append(buf.getvalue())
    ds.PhotometricInterpretation = "YBR_FULL_422" if colour else "MONOCHROME2"  # for 4:2:0 JPEG data too
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ratio = frames.nbytes / sum(len(e) for e in encoded)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = f"{ratio:.2f}"[:16]
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    info["jpeg_quality"] = quality
    info["compression_ratio"] = round(ratio, 2)
    return info


def _overlay(rec: TagRecorder, top: Scope, job: FileJob, comp: Composition) -> None:
    """Overlay plane 6000 whose bitmap spells the patient's name (burned-in text hiding in the header)."""
    rows, cols = comp.frames.shape[1:3]
    text = format_name(job.identity.name, "FAMILY, GIVEN")
    image = Image.new("1", (cols, rows), 0)
    ImageDraw.Draw(image).text((comp.image_rect[0] + 8, comp.image_rect[3] - 30), text,
                               font=load_font("DejaVuSans-Bold", 16), fill=1)
    bits = np.asarray(image, dtype=np.uint8)
    add_overlay_plane(top.ds, rows, cols, pack_bits(bits.ravel()))
    rec.note(top, 0x60003000, "OW", "overlay", "name", text, "rendered")


def _icon(rec: TagRecorder, top: Scope, comp: Composition) -> None:
    """An icon thumbnail of the first frame, burned text included (a classic forgotten leak)."""
    frame = comp.frames[0]
    if frame.ndim == 3:
        frame = (frame @ np.array(LUMA_WEIGHTS)).round().astype(np.uint8)
    rows, cols = frame.shape
    width = 128
    height = max(1, int(round(rows * width / cols)))
    thumb = np.asarray(Image.fromarray(frame).resize((width, height), Image.Resampling.BOX))
    icon = Dataset()
    icon.SamplesPerPixel = 1
    icon.PhotometricInterpretation = "MONOCHROME2"
    icon.Rows, icon.Columns = height, width
    icon.BitsAllocated, icon.BitsStored, icon.HighBit, icon.PixelRepresentation = 8, 8, 7, 0
    icon.PixelData = thumb.tobytes()
    top.ds.IconImageSequence = [icon]
    shown = next((b.state.text for b in comp.boxes if b.run.category == "name"), "")
    if shown:
        rec.note(top, 0x00880200, "SQ", "icon", "name", shown, "rendered")
