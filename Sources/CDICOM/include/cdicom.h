// CDICOM: DICOM Part 10 files read and decompressed by GDCM, behind a plain C interface.
//
// GDCM is C++ and reports failures with exceptions and bool returns. The shim (shim.cpp) catches every
// exception at this boundary and returns one of the codes below with a message. Its one user is
// cohort-dicom-helper, a process of its own (GDCM's assertions abort on some damaged files), which
// ImageIO talks to over pipes. It hands out stored pixel values exactly as decompressed (no rescale,
// no window, no inversion: the display chain is Swift's, ImageIO/DICOMDisplayChain.swift) and header
// values one element at a time, so the Swift side decides what it ever reads (never names or dates).
#ifndef COHORT_CDICOM_H
#define COHORT_CDICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of every cohort_dicom_* call that can fail.
typedef enum cohort_dicom_status {
    COHORT_DICOM_OK = 0,
    /// The bytes are not a DICOM data set GDCM can parse (damaged or truncated header).
    COHORT_DICOM_CORRUPT = 1,
    /// A valid DICOM object without an image (DICOMDIR, structured report, presentation state…).
    COHORT_DICOM_NOT_AN_IMAGE = 2,
    /// The pixel data could not be decompressed or is shorter than its header says.
    COHORT_DICOM_DECODE_FAILED = 3,
    /// The caller's buffer is smaller than cohort_dicom_info.buffer_length.
    COHORT_DICOM_BUFFER_TOO_SMALL = 4,
    /// Anything else GDCM threw (out of memory, an internal error).
    COHORT_DICOM_INTERNAL = 5,
    /// The file ends inside a data element's value (a cut copy or an interrupted transfer).
    COHORT_DICOM_TRUNCATED = 6
} cohort_dicom_status;

/// One parsed DICOM object (opaque).
typedef struct cohort_dicom cohort_dicom;

/// The image GDCM sees, after its own header fix-ups (it reconciles the header with the codestream).
typedef struct cohort_dicom_info {
    uint32_t columns, rows, frames;
    uint16_t samples_per_pixel, bits_allocated, bits_stored, high_bit;
    /// 0 unsigned, 1 two's complement.
    uint16_t pixel_representation, planar_configuration;
    /// Bytes cohort_dicom_pixels writes: columns × rows × frames × samples × bits_allocated / 8.
    size_t buffer_length;
    /// Transfer syntax UID and photometric interpretation as GDCM names them (NUL-terminated).
    char transfer_syntax[72];
    char photometric[24];
} cohort_dicom_info;

/// Parses `length` bytes of a DICOM Part 10 file (preamble and "DICM" included). On success `*out`
/// holds the object (free it with cohort_dicom_close); otherwise `message` (capacity bytes) says why.
cohort_dicom_status cohort_dicom_open(const void *bytes, size_t length, cohort_dicom **out, char *message, size_t capacity);

/// Frees an object from cohort_dicom_open (NULL is ignored).
void cohort_dicom_close(cohort_dicom *dicom);

/// Fills `info` for an object that holds an image.
cohort_dicom_status cohort_dicom_image_info(const cohort_dicom *dicom, cohort_dicom_info *info);

/// The value of top-level element (group, element) as text (multiple values separated by '\\',
/// binary numbers written out), trailing spaces and NULs removed. Copies at most capacity - 1 bytes
/// and a NUL; returns the full length, or -1 when the element is absent.
long cohort_dicom_string(const cohort_dicom *dicom, uint16_t group, uint16_t element, char *buffer, size_t capacity);

/// A lookup table from item `item` (0-based) of top-level sequence (0028, sequence_element): the
/// Modality LUT Sequence (0x3000) or the VOI LUT Sequence (0x3010). `descriptor` receives the LUT
/// Descriptor's three raw 16-bit values; `descriptor_vr` 1 when its VR is SS, 0 when US, -1 when the
/// file does not say (implicit VR). LUT Data (16-bit words) go to `data` (at most capacity words).
/// Returns the number of words, -1 when absent, -2 when malformed.
long cohort_dicom_lut(
    const cohort_dicom *dicom, uint16_t sequence_element, uint32_t item, uint16_t descriptor[3], int *descriptor_vr,
    uint16_t *data, size_t capacity);

/// Decompresses every frame into `buffer` (cohort_dicom_info.buffer_length bytes, frames one after
/// another, samples in the file's bit allocation, host byte order).
cohort_dicom_status cohort_dicom_pixels(const cohort_dicom *dicom, void *buffer, size_t capacity, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
