#ifndef TRIBUTARY_CCRYPTO_SHIM_H
#define TRIBUTARY_CCRYPTO_SHIM_H
// OpenSSL's libcrypto: only the one-shot SHA256() and CRYPTO_memcmp() are used (MCP key hashes).
#include <openssl/sha.h>
#include <openssl/crypto.h>
#endif
