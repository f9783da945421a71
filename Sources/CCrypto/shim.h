#ifndef TRIBUTARY_CCRYPTO_SHIM_H
#define TRIBUTARY_CCRYPTO_SHIM_H
// OpenSSL's libcrypto: the one-shot SHA256() and CRYPTO_memcmp() (MCP key hashes), and EVP
// AES-256-GCM with RAND_bytes (stored secrets sealed at rest).
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#endif
