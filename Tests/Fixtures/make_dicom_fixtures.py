#!/usr/bin/python3
"""Makes the DICOM test fixtures at test time (no patient data is ever committed): pydicom writes
uncompressed objects from a generated phantom with made-up identities, DCMTK and GDCM compress them
into every common transfer syntax, and pydicom's apply_modality_lut / apply_voi_lut give the expected
display values. Usage: make_dicom_fixtures.py OUT_DIR. Writes OUT_DIR/manifest.json:
  {"fixtures": [{"file", "expect": "ok"|"refuse", "expected" (raw little-endian uint16 file) | "code",
                 "tolerance", "group"}], "identities": [strings that must never appear anywhere]}
Debian packages: python3-pydicom python3-numpy dcmtk libgdcm-tools."""
import json
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
# Not square: a transposed decode fails. COHORT_FIXTURE_SIZE=ROWSxCOLS makes larger ones (bench/dicom_decode.py).
ROWS, COLS = (int(v) for v in os.environ.get("COHORT_FIXTURE_SIZE", "80x96").split("x"))
DX = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
US = "1.2.840.10008.5.1.4.1.1.6.1"
SC = "1.2.840.10008.5.1.4.1.1.7"
SR = "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR
PATIENTS = [
    {"PatientName": "FIXTURE^JANE^Q", "PatientID": "PID-CH-70411", "PatientBirthDate": "19411207"},
    {"PatientName": "FIXTURE^JOHN", "PatientID": "PID-CH-90233", "PatientBirthDate": "19530319"},
]
STUDIES = [generate_uid(), generate_uid(), generate_uid()]


def phantom(bits, signed=False, frames=1, variant=0):
    """A deterministic image over the whole stored range: gradients, discs and fine texture."""
    y, x = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    out = []
    for f in range(frames):
        img = (0.45 + 0.02 * (variant % 7)) * x / COLS + 0.25 * y / ROWS
        img += 0.3 * (((x - 30 - 8 * f - 5 * (variant % 9)) ** 2 + (y - 40 + 3 * (variant // 9)) ** 2) < (15 - variant % 4) ** 2)
        img += 0.1 * np.sin(x * 0.7 + f) * np.cos(y * 0.45)
        img = (img - img.min()) / (img.max() - img.min())
        top = 2**bits - 1
        v = np.round(img * top).astype(np.int64)
        if signed:
            v -= 2 ** (bits - 1)
        out.append(v)
    return out[0] if frames == 1 else np.stack(out)


def base(sop=DX, patient=0, study=0, modality="DX", bits_stored=12, bits_allocated=16, signed=False,
         photometric="MONOCHROME2", frames=1, implicit=False, variant=0):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = implicit
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for k, v in PATIENTS[patient].items():
        setattr(ds, k, v)
    ds.StudyInstanceUID = STUDIES[study]
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyDate = "20240102"
    ds.InstitutionName = "FIXTURE GENERAL HOSPITAL"
    ds.Modality = modality
    if modality in ("DX", "CR"):
        ds.ViewPosition, ds.BodyPartExamined = "PA", "CHEST"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Rows, ds.Columns = ROWS, COLS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_allocated, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    pixels = phantom(bits_stored, signed, frames, variant)
    if frames > 1:
        ds.NumberOfFrames = frames
    dtype = {8: np.uint8, 16: np.int16 if signed else np.uint16}[bits_allocated]
    ds.PixelData = pixels.astype(dtype).tobytes()
    return ds


def lut_item(first, bits, data, signed_first=False):
    item = Dataset()
    item.add_new(0x00283002, "SS" if signed_first else "US", [len(data) % 65536, first, bits])
    item.add_new(0x00283006, "OW", np.asarray(data, dtype=np.uint16).tobytes())
    return item


fixtures = []


def expected_display(ds):
    """pydicom's chain, then the documented normalisation to 16 bits (DICOMDisplayChain)."""
    arr = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1)) > 1:
        arr = arr[int(ds.NumberOfFrames) // 2]
    arr = arr.astype(np.int64) if np.issubdtype(arr.dtype, np.integer) else arr
    padding = None
    if "PixelPaddingValue" in ds:
        lo = int(ds.PixelPaddingValue)
        hi = int(ds.get("PixelPaddingRangeLimit", lo))
        padding = (arr >= min(lo, hi)) & (arr <= max(lo, hi))
    m = apply_modality_lut(arr, ds)
    v = apply_voi_lut(m, ds).astype(np.float64)
    if ds.get("VOILUTSequence"):
        t = v / (2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1)
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        # pydicom's own output range (apply_windowing's y_min / y_max)
        if ds.get("ModalityLUTSequence"):
            y_min, y_max = 0, 2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1
        elif ds.PixelRepresentation == 0:
            y_min, y_max = 0, 2 ** ds.BitsStored - 1
        else:
            y_min, y_max = -(2 ** (ds.BitsStored - 1)), 2 ** (ds.BitsStored - 1) - 1
        if "RescaleSlope" in ds and "RescaleIntercept" in ds:
            y_min = y_min * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            y_max = y_max * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        t = (v - y_min) / (y_max - y_min)
    else:
        keep = ~padding if padding is not None else np.ones(v.shape, bool)
        lo, hi = v[keep].min(), v[keep].max()
        t = (v - lo) / (hi - lo) if hi > lo else np.zeros(v.shape)
    if ds.PhotometricInterpretation == "MONOCHROME1" or str(ds.get("PresentationLUTShape", "")).upper() == "INVERSE":
        t = 1 - t
    out = np.floor(np.clip(t, 0, 1) * 65535 + 0.5)
    if padding is not None:
        out[padding] = 0
    return out.astype("<u2")


def save(name, ds, expect="ok", code=None, tolerance=0, group=None, reference=None):
    path = os.path.join(OUT, name)
    ds.save_as(path, write_like_original=False)
    entry = {"file": name, "expect": expect, "group": group}
    if expect == "ok":
        values = expected_display(reference or pydicom.dcmread(path))
        values.tofile(path + ".expected")
        entry.update(expected=name + ".expected", tolerance=tolerance)
    else:
        entry["code"] = code
    fixtures.append(entry)
    return path


def derive(name, source, command, tolerance=0, group=None):
    """A compressed (or re-encoded) copy: lossless copies expect the source's exact display values."""
    target = os.path.join(OUT, name)
    subprocess.run(command + [os.path.join(OUT, source), target], check=True, capture_output=True)
    entry = {"file": name, "expect": "ok", "expected": source + ".expected", "tolerance": tolerance, "group": group}
    fixtures.append(entry)
    return target


# Display-chain variants, uncompressed (pydicom decodes them itself).
ds = base()
ds.WindowCenter, ds.WindowWidth = 2048, 4096
save("dx_u12_window.dcm", ds, group="p0")
save("dx_u12_implicit_nowindow", base(implicit=True, patient=0, study=1), group="p0")  # no extension, no window
ds = base(photometric="MONOCHROME1", patient=1)
ds.WindowCenter, ds.WindowWidth = [1500, 2000], [2500, 3000]  # several windows: the first one
save("cr_mono1.dcm", ds, group="p1")
ds = base(sop=CT, modality="CT", bits_stored=16, signed=True)
ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, -1024, "HU"
ds.WindowCenter, ds.WindowWidth = 40, 400
save("ct_s16_rescale_window.dcm", ds)
ds = base(sop=CT, modality="CT", bits_stored=12, signed=True)
ds.RescaleSlope, ds.RescaleIntercept = 0.5, 10
ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 100.5, 700.25, "LINEAR_EXACT"
save("ct_s12_slope_linear_exact.dcm", ds)
ds = base(sop=MR, modality="MR")
ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 1800, 1200, "SIGMOID"
save("mr_sigmoid.dcm", ds)
ds = base()
ds.WindowCenter, ds.WindowWidth = 100, 50  # present but the VOI LUT is preferred
ramp = np.clip((np.arange(3072) ** 0.8) * 4.4, 0, 65535).astype(np.uint16)
ds.VOILUTSequence = Sequence([lut_item(512, 16, ramp)])
save("dx_voi_lut.dcm", ds)
ds = base(bits_stored=10)
ds.ModalityLUTSequence = Sequence([lut_item(0, 16, (np.arange(1024) * 37 % 4096).astype(np.uint16))])  # pydicom reads 8- or 16-bit LUTs
ds.WindowCenter, ds.WindowWidth = 2000, 3000
save("dx_modality_lut.dcm", ds)
ds = base(sop=MR, modality="MR", frames=3)
save("mr_multiframe.dcm", ds)
ds = base()
ds.PixelPaddingValue = 0
arr = ds.pixel_array.copy()
arr[:, :10] = 0
ds.PixelData = arr.astype(np.uint16).tobytes()
save("dx_padding.dcm", ds)
ds = base()
ds.PresentationLUTShape = "INVERSE"
ds.WindowCenter, ds.WindowWidth = 2048, 4096
save("dx_presentation_inverse.dcm", ds)
u8 = base(bits_stored=8, bits_allocated=8, patient=1, study=2)
save("dx_u8.dcm", u8, group="p1")

# Every common transfer syntax, from the 12-bit window fixture (lossless: exact values) and the
# 8-bit one (lossy, quality 95: within 10 of 255 levels of the uncompressed source's display values,
# 2.5 on average).
derive("dx_jpeg_lossless_sv1.dcm", "dx_u12_window.dcm", ["dcmcjpeg", "+e1"])
derive("dx_jpeg_lossless_p14.dcm", "dx_u12_window.dcm", ["dcmcjpeg", "+el"])
derive("dx_jpegls.dcm", "dx_u12_window.dcm", ["dcmcjpls"])
derive("dx_rle.dcm", "dx_u12_window.dcm", ["dcmcrle"])
derive("dx_deflate.dcm", "dx_u12_window.dcm", ["dcmconv", "+td"])
derive("dx_big_endian.dcm", "dx_u12_window.dcm", ["dcmconv", "+tb"])
derive("dx_j2k.dcm", "dx_u12_window.dcm", ["gdcmconv", "--j2k"])
derive("ct_s16_rle.dcm", "ct_s16_rescale_window.dcm", ["dcmcrle"])
derive("ct_s16_jpegls.dcm", "ct_s16_rescale_window.dcm", ["dcmcjpls"])
derive("dx_u8_jpeg_baseline.dcm", "dx_u8.dcm", ["dcmcjpeg", "+eb", "+q", "95"], tolerance=2570, group="p1")
derive("dx_u12_jpeg_extended.dcm", "dx_u12_window.dcm", ["dcmcjpeg", "+ee", "+q", "95"], tolerance=2570)

# Refusals: not an image, possible burned-in patient data, colour, damage.
sr = Dataset()
sr.file_meta = FileMetaDataset()
sr.file_meta.MediaStorageSOPClassUID = SR
sr.file_meta.MediaStorageSOPInstanceUID = generate_uid()
sr.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
sr.is_little_endian, sr.is_implicit_VR = True, False
sr.SOPClassUID, sr.SOPInstanceUID, sr.Modality = SR, sr.file_meta.MediaStorageSOPInstanceUID, "SR"
for k, v in PATIENTS[0].items():
    setattr(sr, k, v)
save("report_sr.dcm", sr, expect="refuse", code="not_an_image")
ds = base()
ds.BurnedInAnnotation = "YES"
save("dx_burned_in.dcm", ds, expect="refuse", code="possible_patient_data")
save("sc_secondary_capture.dcm", base(sop=SC, modality="OT"), expect="refuse", code="possible_patient_data")
save("us_ultrasound.dcm", base(sop=US, modality="US", bits_stored=8, bits_allocated=8), expect="refuse", code="possible_patient_data")
rgb = base(bits_stored=8, bits_allocated=8)
rgb.SamplesPerPixel, rgb.PhotometricInterpretation, rgb.PlanarConfiguration = 3, "RGB", 0
rgb.PixelData = np.repeat(np.frombuffer(rgb.PixelData, np.uint8), 3).tobytes()
save("dx_rgb.dcm", rgb, expect="refuse", code="unsupported")
# Gating (quarantined by ingest, decodable here): a lateral view and a localizer.
ds = base()
ds.ViewPosition, ds.BodyPartExamined = "LL", "CHEST"
save("dx_lateral.dcm", ds, group="p0")
ds = base()
ds.ViewPosition, ds.BodyPartExamined = "PA", "CHEST"
save("dx_frontal_pa.dcm", ds, group="p0")


def damaged(name, source, transform, code):
    data = open(os.path.join(OUT, source), "rb").read()
    open(os.path.join(OUT, name), "wb").write(transform(data))
    fixtures.append({"file": name, "expect": "refuse", "code": code})


damaged("cut_header.dcm", "dx_u12_window.dcm", lambda d: d[:300], "corrupt")
damaged("cut_pixels.dcm", "dx_u12_window.dcm", lambda d: d[: len(d) - 4000], "truncated")
damaged("cut_jpegls.dcm", "dx_jpegls.dcm", lambda d: d[: len(d) * 2 // 3], "truncated")
damaged("cut_j2k.dcm", "dx_j2k.dcm", lambda d: d[: len(d) * 2 // 3], "truncated")
damaged("cut_rle.dcm", "dx_rle.dcm", lambda d: d[: len(d) * 2 // 3], "truncated")
damaged("cut_deflate.dcm", "dx_deflate.dcm", lambda d: d[: len(d) * 2 // 3], "corrupt")
damaged("garbage_after_magic.dcm", "dx_u12_window.dcm", lambda d: d[:132] + bytes(range(256)) * 8, "corrupt")

# An ingest set: 6 patients × 2 studies × 3 images, file names without extensions (as PACS exports
# name them), two classes by patient.
ingest = []
os.makedirs(os.path.join(OUT, "ingest"), exist_ok=True)
for k in range(6):
    PATIENTS.append({"PatientName": f"FIXTURE^PATIENT{k}", "PatientID": f"PID-IN-{4711 + k}", "PatientBirthDate": f"19{60 + k}0{k + 1}1{k}"})
    for study in range(2):
        STUDIES.append(generate_uid())
        for i in range(3):
            ds = base(patient=len(PATIENTS) - 1, study=len(STUDIES) - 1, variant=k * 6 + study * 3 + i)
            ds.WindowCenter, ds.WindowWidth = 2048, 4096
            name = "ingest/" + ds.SOPInstanceUID
            ds.save_as(os.path.join(OUT, name), write_like_original=False)
            ingest.append({"file": name, "class": "normal" if k < 3 else "pneumonia", "patient": k})

identities = [v for p in PATIENTS for v in p.values()] + STUDIES + ["FIXTURE GENERAL HOSPITAL"]
json.dump({"fixtures": fixtures, "ingest": ingest, "identities": identities}, open(os.path.join(OUT, "manifest.json"), "w"), indent=1)
print(f"{len(fixtures)} fixtures in {OUT}")
