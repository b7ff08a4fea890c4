// The GDCM side of CDICOM (see include/cdicom.h): every entry point catches every C++ exception and
// turns it into a status code, so no exception ever reaches Swift.
#include "cdicom.h"

#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmMediaStorage.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>

#include <cstring>
#include <istream>
#include <memory>
#include <mutex>
#include <streambuf>
#include <string>

struct cohort_dicom {
    gdcm::ImageReader reader;
};

namespace {

/// A read-only stream over the caller's bytes (no copy): GDCM reads from a std::istream and seeks in it.
class MemoryBuffer : public std::streambuf {
  public:
    MemoryBuffer(const void *bytes, size_t length) {
        char *begin = const_cast<char *>(static_cast<const char *>(bytes));
        setg(begin, begin, begin + length);
    }

    /// Set when a read of a value (more than the 8 bytes of an element header) came back short: the
    /// file ends inside a value. GDCM then keeps the declared length, so this is the only sign of it.
    bool truncatedValue = false;

  protected:
    std::streamsize xsgetn(char *target, std::streamsize count) override {
        std::streamsize available = egptr() - gptr();
        std::streamsize n = count < available ? count : available;
        std::memcpy(target, gptr(), static_cast<size_t>(n));
        gbump(static_cast<int>(n));
        if (n < count && count > 8) truncatedValue = true;
        return n;
    }

    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode) override {
        char *target = direction == std::ios_base::beg ? eback() + offset
                       : direction == std::ios_base::cur ? gptr() + offset
                                                         : egptr() + offset;
        if (target < eback() || target > egptr()) return pos_type(off_type(-1));
        setg(eback(), target, egptr());
        return pos_type(target - eback());
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode mode) override {
        return seekoff(off_type(position), std::ios_base::beg, mode);
    }
};

/// GDCM's own warnings and errors go to stderr; Cohort reports through its return values instead.
void silenceGDCM() {
    static std::once_flag once;
    std::call_once(once, [] {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

void say(char *message, size_t capacity, const std::string &text) {
    if (message == nullptr || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), n);
    message[n] = '\0';
}

void copyField(char *field, size_t capacity, std::string text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
    say(field, capacity, text);
}

}  // namespace

extern "C" cohort_dicom_status cohort_dicom_open(const void *bytes, size_t length, cohort_dicom **out, char *message, size_t capacity) {
    silenceGDCM();
    *out = nullptr;
    try {
        auto dicom = std::make_unique<cohort_dicom>();
        MemoryBuffer buffer(bytes, length);
        std::istream stream(&buffer);
        dicom->reader.SetStream(stream);
        if (dicom->reader.Read()) {
            // A deflated data set is read through zlib in large chunks, the last one short by nature.
            const bool deflated =
                dicom->reader.GetFile().GetHeader().GetDataSetTransferSyntax() == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian;
            if (buffer.truncatedValue && !deflated) {
                say(message, capacity, "the file ends inside a data element's value (truncated)");
                return COHORT_DICOM_TRUNCATED;
            }
            *out = dicom.release();
            return COHORT_DICOM_OK;
        }
        // Not an image? A plain reader tells a valid object without pixel data from damage.
        MemoryBuffer again(bytes, length);
        std::istream plainStream(&again);
        gdcm::Reader plain;
        plain.SetStream(plainStream);
        if (plain.Read()) {
            const gdcm::DataSet &dataSet = plain.GetFile().GetDataSet();
            gdcm::MediaStorage storage;
            storage.SetFromFile(plain.GetFile());
            const char *kind = gdcm::MediaStorage::GetMSString(storage);
            std::string what = kind ? std::string(kind) : std::string("unknown SOP class");
            if (!dataSet.FindDataElement(gdcm::Tag(0x7fe0, 0x0010))) {
                say(message, capacity, "no pixel data (" + what + ")");
                return COHORT_DICOM_NOT_AN_IMAGE;
            }
            say(message, capacity, "GDCM cannot interpret the image attributes or pixel data (" + what + ")");
            return COHORT_DICOM_DECODE_FAILED;
        }
        say(message, capacity, "not a DICOM data set GDCM can parse (damaged or truncated header)");
        return COHORT_DICOM_CORRUPT;
    } catch (const std::bad_alloc &) {
        say(message, capacity, "out of memory while parsing");
        return COHORT_DICOM_INTERNAL;
    } catch (const std::exception &error) {
        say(message, capacity, std::string("GDCM: ") + error.what());
        return COHORT_DICOM_CORRUPT;
    } catch (...) {
        say(message, capacity, "GDCM failed while parsing");
        return COHORT_DICOM_CORRUPT;
    }
}

extern "C" void cohort_dicom_close(cohort_dicom *dicom) { delete dicom; }

extern "C" cohort_dicom_status cohort_dicom_image_info(const cohort_dicom *dicom, cohort_dicom_info *info) {
    try {
        std::memset(info, 0, sizeof *info);
        const gdcm::Image &image = dicom->reader.GetImage();
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        info->columns = image.GetDimension(0);
        info->rows = image.GetDimension(1);
        info->frames = image.GetNumberOfDimensions() >= 3 ? image.GetDimension(2) : 1;
        info->samples_per_pixel = format.GetSamplesPerPixel();
        info->bits_allocated = format.GetBitsAllocated();
        info->bits_stored = format.GetBitsStored();
        info->high_bit = format.GetHighBit();
        info->pixel_representation = format.GetPixelRepresentation();
        info->planar_configuration = static_cast<uint16_t>(image.GetPlanarConfiguration());
        info->buffer_length = image.GetBufferLength();
        const char *syntax = image.GetTransferSyntax().GetString();
        copyField(info->transfer_syntax, sizeof info->transfer_syntax, syntax ? syntax : "");
        const char *photometric = image.GetPhotometricInterpretation().GetString();
        copyField(info->photometric, sizeof info->photometric, photometric ? photometric : "");
        return COHORT_DICOM_OK;
    } catch (...) {
        return COHORT_DICOM_INTERNAL;
    }
}

extern "C" long cohort_dicom_string(const cohort_dicom *dicom, uint16_t group, uint16_t element, char *buffer, size_t capacity) {
    try {
        const gdcm::File &file = dicom->reader.GetFile();
        const gdcm::Tag tag(group, element);
        std::string text;
        if (group == 0x0002) {
            // File meta information: UIDs and short strings only.
            const gdcm::FileMetaInformation &header = file.GetHeader();
            if (!header.FindDataElement(tag)) return -1;
            const gdcm::ByteValue *value = header.GetDataElement(tag).GetByteValue();
            if (value) text.assign(value->GetPointer(), value->GetLength());
        } else {
            const gdcm::DataSet &dataSet = file.GetDataSet();
            if (!dataSet.FindDataElement(tag)) return -1;
            if (!dataSet.GetDataElement(tag).IsEmpty()) {
                gdcm::StringFilter filter;
                filter.SetFile(file);
                text = filter.ToString(tag);
            }
        }
        while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
        say(buffer, capacity, text);
        return static_cast<long>(text.size());
    } catch (...) {
        return -1;
    }
}

extern "C" long cohort_dicom_lut(
    const cohort_dicom *dicom, uint16_t sequence_element, uint32_t item, uint16_t descriptor[3], int *descriptor_vr,
    uint16_t *data, size_t capacity) {
    try {
        const gdcm::DataSet &dataSet = dicom->reader.GetFile().GetDataSet();
        const gdcm::Tag tag(0x0028, sequence_element);
        if (!dataSet.FindDataElement(tag)) return -1;
        gdcm::SmartPointer<gdcm::SequenceOfItems> sequence = dataSet.GetDataElement(tag).GetValueAsSQ();
        if (!sequence || item >= sequence->GetNumberOfItems()) return -1;
        const gdcm::DataSet &nested = sequence->GetItem(item + 1).GetNestedDataSet();
        const gdcm::Tag descriptorTag(0x0028, 0x3002), dataTag(0x0028, 0x3006);
        if (!nested.FindDataElement(descriptorTag) || !nested.FindDataElement(dataTag)) return -1;
        const gdcm::DataElement &descriptorElement = nested.GetDataElement(descriptorTag);
        const gdcm::ByteValue *descriptorValue = descriptorElement.GetByteValue();
        if (!descriptorValue || descriptorValue->GetLength() < 6) return -2;
        std::memcpy(descriptor, descriptorValue->GetPointer(), 6);
        const gdcm::VR vr = descriptorElement.GetVR();
        *descriptor_vr = vr == gdcm::VR::SS ? 1 : vr == gdcm::VR::US ? 0 : -1;
        const gdcm::ByteValue *lut = nested.GetDataElement(dataTag).GetByteValue();
        if (!lut) return -2;
        size_t words = lut->GetLength() / 2;
        std::memcpy(data, lut->GetPointer(), 2 * (words < capacity ? words : capacity));
        return static_cast<long>(words);
    } catch (...) {
        return -2;
    }
}

extern "C" cohort_dicom_status cohort_dicom_pixels(
    const cohort_dicom *dicom, void *buffer, size_t capacity, char *message, size_t message_capacity) {
    try {
        const gdcm::Image &image = dicom->reader.GetImage();
        const size_t needed = image.GetBufferLength();
        if (capacity < needed) {
            say(message, message_capacity, "buffer smaller than the image");
            return COHORT_DICOM_BUFFER_TOO_SMALL;
        }
        const gdcm::DataElement &pixelData = image.GetDataElement();
        if (pixelData.IsEmpty()) {
            say(message, message_capacity, "the pixel data element is empty");
            return COHORT_DICOM_DECODE_FAILED;
        }
        // Native (uncompressed) data shorter than the header says: a truncated file.
        if (const gdcm::ByteValue *native = pixelData.GetByteValue()) {
            if (native->GetLength() < needed) {
                say(message, message_capacity,
                    "pixel data holds " + std::to_string(native->GetLength()) + " bytes, the header needs " + std::to_string(needed));
                return COHORT_DICOM_DECODE_FAILED;
            }
        }
        if (!image.GetBuffer(static_cast<char *>(buffer))) {
            const char *syntax = image.GetTransferSyntax().GetString();
            say(message, message_capacity,
                std::string("the pixel data could not be decompressed (transfer syntax ") + (syntax ? syntax : "?") + ")");
            return COHORT_DICOM_DECODE_FAILED;
        }
        return COHORT_DICOM_OK;
    } catch (const std::bad_alloc &) {
        say(message, message_capacity, "out of memory while decompressing");
        return COHORT_DICOM_INTERNAL;
    } catch (const std::exception &error) {
        say(message, message_capacity, std::string("GDCM: ") + error.what());
        return COHORT_DICOM_DECODE_FAILED;
    } catch (...) {
        say(message, message_capacity, "GDCM failed while decompressing");
        return COHORT_DICOM_DECODE_FAILED;
    }
}
