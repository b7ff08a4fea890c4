// cohort-dicom-helper: GDCM in a process of its own. Debian's GDCM is built with assertions on, and
// damaged files can trip them (an abort), so Cohort never runs GDCM inside cohortd or cohort: ImageIO
// spawns this helper per DICOM file, hands it the file's bytes on stdin and reads back, on stdout, the
// image description, the header elements it names on the command line, the Modality and VOI LUTs and
// (mode "pixels") the decompressed stored values. A crash here is one refused file, never the daemon.
//
// Usage: cohort-dicom-helper header|pixels=MAXBYTES GGGGEEEE… < file.dcm > answer
// Answer (little endian): "CDH1", i32 status, then on failure u32 length + message; on success
// u32 columns, rows, frames; u16 samples, bits allocated, bits stored, high bit, pixel representation,
// planar configuration; u64 buffer length; string syntax; string photometric; per requested tag i32
// length (-1 absent) + bytes; per LUT sequence (0x3000, 0x3010) i64 words (-1 absent, -2 malformed)
// [+ u16 descriptor ×3, i32 descriptor VR, u64 n, u16 ×n]; mode pixels: i32 status, then u64 length +
// bytes or u32 length + message (an image above MAXBYTES is not decompressed: status BUFFER_TOO_SMALL).
#include "cdicom.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string out;

template <typename T> void put(T value) { out.append(reinterpret_cast<const char *>(&value), sizeof value); }

void putString(const std::string &text) {
    put(static_cast<uint32_t>(text.size()));
    out += text;
}

void writeAll(const char *data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(STDOUT_FILENO, data + done, size - done);
        if (n <= 0) std::_Exit(3);
        done += static_cast<size_t>(n);
    }
}

void flush() {
    writeAll(out.data(), out.size());
    out.clear();
}

}  // namespace

int main(int argc, char **argv) {
    const bool wantPixels = argc >= 2 && std::strncmp(argv[1], "pixels=", 7) == 0;
    if (argc < 2 || (std::strcmp(argv[1], "header") != 0 && !wantPixels)) {
        std::fprintf(stderr, "usage: cohort-dicom-helper header|pixels=MAXBYTES GGGGEEEE... < file.dcm\n");
        return 2;
    }
    const unsigned long long maxBytes = wantPixels ? std::strtoull(argv[1] + 7, nullptr, 10) : 0;
    // A decompression bomb or a runaway codec ends here, not in the machine's memory or time.
    struct rlimit memory = {4ull << 30, 4ull << 30};
    setrlimit(RLIMIT_AS, &memory);
    alarm(120);

    // COHORT_DICOM_INPUT_BYTES (set by the caller) sizes the buffer once: a radiograph is megabytes.
    std::vector<char> bytes;
    if (const char *hint = std::getenv("COHORT_DICOM_INPUT_BYTES")) bytes.reserve(std::strtoull(hint, nullptr, 10));
    size_t filled = 0;
    for (;;) {
        if (bytes.size() - filled < (1 << 16)) bytes.resize(filled + std::max<size_t>(1 << 20, bytes.capacity() - filled));
        ssize_t n = read(STDIN_FILENO, bytes.data() + filled, bytes.size() - filled);
        if (n < 0) return 3;
        if (n == 0) break;
        filled += static_cast<size_t>(n);
    }
    bytes.resize(filled);
    out += "CDH1";
    cohort_dicom *dicom = nullptr;
    char message[512] = {0};
    cohort_dicom_status status = cohort_dicom_open(bytes.data(), bytes.size(), &dicom, message, sizeof message);
    put(static_cast<int32_t>(status));
    if (status != COHORT_DICOM_OK) {
        putString(message);
        flush();
        return 0;
    }
    cohort_dicom_info info;
    status = cohort_dicom_image_info(dicom, &info);
    if (status != COHORT_DICOM_OK) return 4;
    put(info.columns);
    put(info.rows);
    put(info.frames);
    put(info.samples_per_pixel);
    put(info.bits_allocated);
    put(info.bits_stored);
    put(info.high_bit);
    put(info.pixel_representation);
    put(info.planar_configuration);
    put(static_cast<uint64_t>(info.buffer_length));
    putString(info.transfer_syntax);
    putString(info.photometric);
    for (int i = 2; i < argc; i++) {
        unsigned long tag = std::strtoul(argv[i], nullptr, 16);
        std::vector<char> text(256);
        long length = cohort_dicom_string(dicom, static_cast<uint16_t>(tag >> 16), static_cast<uint16_t>(tag & 0xFFFF), text.data(), text.size());
        if (length >= static_cast<long>(text.size())) {
            text.resize(static_cast<size_t>(length) + 1);
            cohort_dicom_string(dicom, static_cast<uint16_t>(tag >> 16), static_cast<uint16_t>(tag & 0xFFFF), text.data(), text.size());
        }
        put(static_cast<int32_t>(length));
        if (length > 0) out.append(text.data(), static_cast<size_t>(length));
    }
    for (uint16_t sequence : {uint16_t(0x3000), uint16_t(0x3010)}) {
        uint16_t descriptor[3] = {0, 0, 0};
        int vr = -1;
        std::vector<uint16_t> data(65536);
        long words = cohort_dicom_lut(dicom, sequence, 0, descriptor, &vr, data.data(), data.size());
        put(static_cast<int64_t>(words));
        if (words >= 0) {
            for (uint16_t d : descriptor) put(d);
            put(static_cast<int32_t>(vr));
            size_t kept = static_cast<size_t>(words) < data.size() ? static_cast<size_t>(words) : data.size();
            put(static_cast<uint64_t>(kept));
            out.append(reinterpret_cast<const char *>(data.data()), kept * 2);
        }
    }
    if (wantPixels) {
        if (info.buffer_length > maxBytes) {
            put(static_cast<int32_t>(COHORT_DICOM_BUFFER_TOO_SMALL));
            putString("the image decompresses to " + std::to_string(info.buffer_length) + " bytes, above the limit of " +
                      std::to_string(maxBytes));
            flush();
            return 0;
        }
        std::vector<char> pixels;
        try {
            pixels.resize(info.buffer_length);
        } catch (...) {
            put(static_cast<int32_t>(COHORT_DICOM_INTERNAL));
            putString("cannot allocate the decompressed image");
            flush();
            return 0;
        }
        status = cohort_dicom_pixels(dicom, pixels.data(), pixels.size(), message, sizeof message);
        put(static_cast<int32_t>(status));
        if (status == COHORT_DICOM_OK) {
            put(static_cast<uint64_t>(pixels.size()));
            flush();
            writeAll(pixels.data(), pixels.size());
        } else {
            putString(message);
        }
    }
    flush();
    cohort_dicom_close(dicom);
    return 0;
}
