// CPNG: libpng plus the few helpers Swift needs to call it safely.
//
// libpng reports errors with longjmp, which must never unwind through Swift frames. Every libpng
// call that can fail is therefore made from one of the small C functions below, each of which
// sets its own setjmp point and turns an error into a return value of -1 with the message kept.
#ifndef COHORT_CPNG_SHIM_H
#define COHORT_CPNG_SHIM_H

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Reading

/// State of one decode of an in-memory PNG.
typedef struct cohort_png_reader {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size;
    size_t offset;
    /// Set when libpng asked for bytes past the end of the data (a truncated file).
    int hit_eof;
    /// The libpng error message of the last failure.
    char message[256];
    /// Filled by cohort_png_reader_read_header(), describing rows after the transformations:
    /// 1 (gray) or 3 (RGB) channels of 8 or 16 bits, alpha stripped, 16-bit in host order.
    uint32_t width, height;
    int channels;
    int bit_depth;
    size_t rowbytes;
} cohort_png_reader;

static inline void cohort_png_reader_error_fn(png_structp png, png_const_charp msg) {
    cohort_png_reader *r = (cohort_png_reader *)png_get_error_ptr(png);
    if (r) {
        strncpy(r->message, msg ? msg : "unknown libpng error", sizeof(r->message) - 1);
        r->message[sizeof(r->message) - 1] = 0;
    }
    png_longjmp(png, 1);
}

static inline void cohort_png_silent_warning_fn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static inline void cohort_png_reader_read_fn(png_structp png, png_bytep out, size_t length) {
    cohort_png_reader *r = (cohort_png_reader *)png_get_io_ptr(png);
    if (r->size - r->offset < length) {
        r->hit_eof = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(out, r->data + r->offset, length);
    r->offset += length;
}

/// Largest allocation one chunk may cause (bytes) and most ancillary chunks kept per file.
#define COHORT_PNG_CHUNK_MALLOC_MAX (8u << 20)
#define COHORT_PNG_CHUNK_CACHE_MAX 256

/// Creates the libpng structures for reading `data` (which must stay alive until close).
static inline int cohort_png_reader_open(cohort_png_reader *r, const unsigned char *data, size_t size) {
    memset(r, 0, sizeof *r);
    r->data = data;
    r->size = size;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, cohort_png_reader_error_fn,
                                    cohort_png_silent_warning_fn);
    if (!r->png) {
        strcpy(r->message, "cannot create libpng read structure");
        return -1;
    }
    r->info = png_create_info_struct(r->png);
    if (!r->info) {
        png_destroy_read_struct(&r->png, NULL, NULL);
        strcpy(r->message, "cannot create libpng info structure");
        return -1;
    }
    png_set_read_fn(r->png, r, cohort_png_reader_read_fn);
    /* Bounds on what one file may make libpng allocate: decompressed chunk data (zTXt, iTXt, iCCP bombs)
       and the number of ancillary chunks kept; an ancillary chunk over a bound is skipped (a benign error,
       reported as a warning). libpng 1.6.39 still allocates a chunk's *declared* length before reading
       it, so PNGDecoder.checkChunkLengths refuses lengths that run past the end of the file first. */
    png_set_chunk_malloc_max(r->png, COHORT_PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(r->png, COHORT_PNG_CHUNK_CACHE_MAX);
    png_set_benign_errors(r->png, 1);
    return 0;
}

/// Reads the chunks before the image data and sets up the transformations to gray or RGB rows.
static inline int cohort_png_reader_read_header(cohort_png_reader *r) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    png_read_info(r->png, r->info);
    int bit_depth = png_get_bit_depth(r->png, r->info);
    png_set_expand(r->png);      // palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha
    png_set_strip_alpha(r->png); // alpha is ignored, as Pillow's convert('L') does
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(r->png);
#endif
    (void)png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    r->width = png_get_image_width(r->png, r->info);
    r->height = png_get_image_height(r->png, r->info);
    r->channels = png_get_channels(r->png, r->info);
    r->bit_depth = png_get_bit_depth(r->png, r->info);
    r->rowbytes = png_get_rowbytes(r->png, r->info);
    return 0;
}

/// Decodes every row into `pixels` (height * rowbytes bytes) and reads the chunks after the image.
static inline int cohort_png_reader_read_pixels(cohort_png_reader *r, unsigned char *pixels) {
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(r->png))) {
        free(rows);
        return -1;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (r->height ? r->height : 1));
    if (!rows) png_error(r->png, "out of memory");
    for (uint32_t y = 0; y < r->height; y++) rows[y] = pixels + (size_t)y * r->rowbytes;
    png_read_image(r->png, rows);
    png_read_end(r->png, r->info);
    free(rows);
    rows = NULL;
    return 0;
}

/// Number of text chunks (tEXt, zTXt, iTXt) seen so far.
static inline int cohort_png_reader_text_count(cohort_png_reader *r) {
    png_textp text = NULL;
    int count = 0;
    png_get_text(r->png, r->info, &text, &count);
    return count;
}

/// Key and value (bytes and length) of text chunk `index`.
static inline void cohort_png_reader_text_at(cohort_png_reader *r, int index, const char **key,
                                             const char **value, size_t *length) {
    png_textp text = NULL;
    int count = 0;
    png_get_text(r->png, r->info, &text, &count);
    *key = text[index].key;
    *value = text[index].text;
    *length = text[index].compression > 0 ? text[index].itxt_length : text[index].text_length;
}

static inline void cohort_png_reader_close(cohort_png_reader *r) {
    if (r->png) png_destroy_read_struct(&r->png, &r->info, NULL);
}

// MARK: - Writing

/// A growing output buffer; `data` is malloc'd and must be released with free().
typedef struct cohort_png_buffer {
    unsigned char *data;
    size_t size;
    size_t capacity;
    char message[256];
} cohort_png_buffer;

/// One text chunk to write: tEXt when `utf8` is 0 (Latin-1), uncompressed iTXt otherwise.
typedef struct cohort_png_text_entry {
    const char *key;
    const char *value;
    int utf8;
} cohort_png_text_entry;

static inline void cohort_png_writer_error_fn(png_structp png, png_const_charp msg) {
    cohort_png_buffer *b = (cohort_png_buffer *)png_get_error_ptr(png);
    if (b) {
        strncpy(b->message, msg ? msg : "unknown libpng error", sizeof(b->message) - 1);
        b->message[sizeof(b->message) - 1] = 0;
    }
    png_longjmp(png, 1);
}

static inline void cohort_png_writer_write_fn(png_structp png, png_bytep data, size_t length) {
    cohort_png_buffer *b = (cohort_png_buffer *)png_get_io_ptr(png);
    if (b->size + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->size + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(b->data, capacity);
        if (!grown) png_error(png, "out of memory");
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, data, length);
    b->size += length;
}

static inline void cohort_png_writer_flush_fn(png_structp png) { (void)png; }

/// Encodes a grayscale image (`bit_depth` 8, or 16 in host order) with text chunks into `out`.
static inline int cohort_png_encode_gray(const unsigned char *pixels, uint32_t width, uint32_t height,
                                         int bit_depth, const cohort_png_text_entry *entries, int count,
                                         cohort_png_buffer *out) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, out, cohort_png_writer_error_fn,
                                              cohort_png_silent_warning_fn);
    if (!png) {
        strcpy(out->message, "cannot create libpng write structure");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    png_textp volatile texts = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        free(texts);
        png_destroy_write_struct(&png, &info);
        if (!out->message[0]) strcpy(out->message, "cannot create libpng info structure");
        return -1;
    }
    png_set_write_fn(png, out, cohort_png_writer_write_fn, cohort_png_writer_flush_fn);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (count > 0) {
        texts = (png_textp)calloc((size_t)count, sizeof(png_text));
        if (!texts) png_error(png, "out of memory");
        for (int i = 0; i < count; i++) {
            texts[i].compression = entries[i].utf8 ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
            texts[i].key = (png_charp)entries[i].key;
            texts[i].text = (png_charp)entries[i].value;
        }
        png_set_text(png, info, texts, count);
    }
    png_write_info(png, info);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(png);
#endif
    size_t rowbytes = (size_t)width * (bit_depth == 16 ? 2 : 1);
    for (uint32_t y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * rowbytes);
    png_write_end(png, info);
    free(texts);
    texts = NULL;
    png_destroy_write_struct(&png, &info);
    return 0;
}

#endif
