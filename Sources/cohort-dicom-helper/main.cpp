// cohort-dicom-helper: GDCM in a process of its own. Debian's GDCM is built with assertions on, and
// damaged files can trip them (an abort), so Cohort never runs GDCM inside cohortd or cohort: ImageIO
// keeps a few of these helpers (DICOMHelperProcess) and sends each one file at a time on stdin; the
// helper answers on stdout with the image description, the header elements the request names, the
// Modality and VOI LUTs and (mode "pixels") the decompressed stored values. A helper that aborts costs
// one refused file and is replaced, never the daemon. It serves requests until its stdin ends.
//
// Request (little endian): u32 argument count, per argument u32 length + bytes — "header" or
// "pixels=MAXBYTES", then tags as "GGGGEEEE" hex — then u64 file length + the file's bytes.
// Response: u64 length, then the answer: "CDH1", i32 status, then on failure u32 length + message; on
// success u32 columns, rows, frames; u16 samples, bits allocated, bits stored, high bit, pixel
// representation, planar configuration; u64 buffer length; string syntax; string photometric; per
// requested tag i32 length (-1 absent) + bytes; per LUT sequence (0x3000, 0x3010) i64 words (-1 absent,
// -2 malformed) [+ u16 descriptor ×3, i32 descriptor VR, u64 n, u16 ×n]; mode pixels: i32 status, then
// u64 length, u8 p, p zero bytes (the pixels start 8-byte aligned in the answer, so the caller reads
// them in place) and the bytes; or u32 length + message (an image above MAXBYTES is not decompressed:
// status BUFFER_TOO_SMALL).
#include "cdicom.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

template <typename T> void put(std::string &out, T value) { out.append(reinterpret_cast<const char *>(&value), sizeof value); }

void putString(std::string &out, const std::string &text) {
    put(out, static_cast<uint32_t>(text.size()));
    out += text;
}

bool readAll(void *target, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(STDIN_FILENO, static_cast<char *>(target) + done, size - done);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

void writeAll(const void *data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(STDOUT_FILENO, static_cast<const char *>(data) + done, size - done);
        if (n <= 0) std::_Exit(3);
        done += static_cast<size_t>(n);
    }
}

/// The answer to one request (see the top of this file).
std::string answer(const std::vector<std::string> &arguments, const std::vector<char> &bytes) {
    std::string out = "CDH1";
    const bool wantPixels = !arguments.empty() && arguments[0].compare(0, 7, "pixels=") == 0;
    const unsigned long long maxBytes = wantPixels ? std::strtoull(arguments[0].c_str() + 7, nullptr, 10) : 0;
    cohort_dicom *dicom = nullptr;
    char message[512] = {0};
    cohort_dicom_status status = cohort_dicom_open(bytes.data(), bytes.size(), &dicom, message, sizeof message);
    put(out, static_cast<int32_t>(status));
    if (status != COHORT_DICOM_OK) {
        putString(out, message);
        return out;
    }
    cohort_dicom_info info;
    if (cohort_dicom_image_info(dicom, &info) != COHORT_DICOM_OK) std::_Exit(4);
    put(out, info.columns);
    put(out, info.rows);
    put(out, info.frames);
    put(out, info.samples_per_pixel);
    put(out, info.bits_allocated);
    put(out, info.bits_stored);
    put(out, info.high_bit);
    put(out, info.pixel_representation);
    put(out, info.planar_configuration);
    put(out, static_cast<uint64_t>(info.buffer_length));
    putString(out, info.transfer_syntax);
    putString(out, info.photometric);
    for (size_t i = 1; i < arguments.size(); i++) {
        unsigned long tag = std::strtoul(arguments[i].c_str(), nullptr, 16);
        const uint16_t group = static_cast<uint16_t>(tag >> 16), element = static_cast<uint16_t>(tag & 0xFFFF);
        std::vector<char> text(256);
        long length = cohort_dicom_string(dicom, group, element, text.data(), text.size());
        if (length >= static_cast<long>(text.size())) {
            text.resize(static_cast<size_t>(length) + 1);
            cohort_dicom_string(dicom, group, element, text.data(), text.size());
        }
        put(out, static_cast<int32_t>(length));
        if (length > 0) out.append(text.data(), static_cast<size_t>(length));
    }
    for (uint16_t sequence : {uint16_t(0x3000), uint16_t(0x3010)}) {
        uint16_t descriptor[3] = {0, 0, 0};
        int vr = -1;
        std::vector<uint16_t> data(65536);
        long words = cohort_dicom_lut(dicom, sequence, 0, descriptor, &vr, data.data(), data.size());
        put(out, static_cast<int64_t>(words));
        if (words >= 0) {
            for (uint16_t d : descriptor) put(out, d);
            put(out, static_cast<int32_t>(vr));
            size_t kept = static_cast<size_t>(words) < data.size() ? static_cast<size_t>(words) : data.size();
            put(out, static_cast<uint64_t>(kept));
            out.append(reinterpret_cast<const char *>(data.data()), kept * 2);
        }
    }
    if (wantPixels) {
        if (info.buffer_length > maxBytes) {
            put(out, static_cast<int32_t>(COHORT_DICOM_BUFFER_TOO_SMALL));
            putString(out, "the image decompresses to " + std::to_string(info.buffer_length) + " bytes, above the limit of " +
                               std::to_string(maxBytes));
        } else {
            const size_t before = out.size();
            const size_t unpadded = before + sizeof(int32_t) + sizeof(uint64_t) + 1;
            const size_t pad = (8 - unpadded % 8) % 8;
            const size_t header = unpadded + pad;
            out.resize(header + info.buffer_length, '\0');  // decompressed straight into the answer
            status = cohort_dicom_pixels(dicom, &out[header], info.buffer_length, message, sizeof message);
            if (status == COHORT_DICOM_OK) {
                int32_t ok = COHORT_DICOM_OK;
                uint64_t length = info.buffer_length;
                uint8_t padding = static_cast<uint8_t>(pad);
                std::memcpy(&out[before], &ok, sizeof ok);
                std::memcpy(&out[before + sizeof ok], &length, sizeof length);
                std::memcpy(&out[before + sizeof ok + sizeof length], &padding, 1);
            } else {
                out.resize(before);
                put(out, static_cast<int32_t>(status));
                putString(out, message);
            }
        }
    }
    cohort_dicom_close(dicom);
    return out;
}

}  // namespace

int main() {
    // A decompression bomb or a runaway codec ends here, not in the machine's memory or time (setrlimit
    // may be refused by a service's system-call filter; the caller's deadline still holds).
    struct rlimit memory = {4ull << 30, 4ull << 30};
    setrlimit(RLIMIT_AS, &memory);
    for (;;) {
        uint32_t count = 0;
        if (!readAll(&count, sizeof count)) return 0;  // the caller closed the pipe: done
        if (count > 1024) return 2;
        std::vector<std::string> arguments(count);
        for (auto &argument : arguments) {
            uint32_t length = 0;
            if (!readAll(&length, sizeof length) || length > 4096) return 2;
            argument.resize(length);
            if (!readAll(argument.data(), length)) return 2;
        }
        uint64_t length = 0;
        if (!readAll(&length, sizeof length) || length > (8ull << 30)) return 2;
        std::vector<char> bytes(length);
        if (!readAll(bytes.data(), length)) return 2;
        alarm(120);
        const std::string reply = answer(arguments, bytes);
        alarm(0);
        uint64_t size = reply.size();
        writeAll(&size, sizeof size);
        writeAll(reply.data(), reply.size());
    }
}
