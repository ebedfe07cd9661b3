#ifndef POND_CCRYPTO_SHIM_H
#define POND_CCRYPTO_SHIM_H
/* SHA-256 goes through the low-level SHA256_Init/Update/Final, deprecated in OpenSSL 3 but the same assembly:
   EVP's first use loads openssl.cnf and a provider, about 1 ms of every pond process. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#endif
