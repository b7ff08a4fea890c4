// CLibCrypto: OpenSSL's libcrypto, used only for SHA-256 through the EVP digest API (the low-level
// SHA256_Init family is deprecated in OpenSSL 3). Errors are return values; no helper code is needed.
#ifndef COHORT_CLIBCRYPTO_SHIM_H
#define COHORT_CLIBCRYPTO_SHIM_H
#include <stddef.h>
#include <openssl/evp.h>
#endif
