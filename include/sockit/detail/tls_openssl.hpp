// SPDX-License-Identifier: MIT
// The OpenSSL side of sockit's TLS: the error categories that carry OpenSSL's reasons and
// certificate verification results, and the BIO through which every TLS byte goes. The BIO
// reads and writes with sockit's own recv and send (send with MSG_NOSIGNAL), never read(2)
// or write(2): a peer that has gone is EPIPE, never SIGPIPE, during the handshake too.
#pragma once

#include <cstddef>
#include <string>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "sockit/detail/ops.hpp"
#include "sockit/detail/platform.hpp"
#include "sockit/detail/timed_io.hpp"

#if OPENSSL_VERSION_MAJOR < 3
#error "sockit's TLS needs OpenSSL 3 or newer"
#endif

namespace sockit::detail {

/// OpenSSL's error codes (`ERR_get_error`, library and reason): the message is OpenSSL's
/// reason string, e.g. "wrong version number" or "unsupported protocol".
class OpensslCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "openssl"; }
    std::string message(int value) const override {
        const auto code = static_cast<unsigned long>(value);
        const char* reason = ::ERR_reason_error_string(code);
        if (reason != nullptr) return reason;
        char text[256];
        ::ERR_error_string_n(code, text, sizeof text);
        return text;
    }
};

/// Certificate verification results (`X509_V_ERR_*`): the message is OpenSSL's text, e.g.
/// "certificate has expired" or "hostname mismatch".
class X509Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "x509"; }
    std::string message(int value) const override { return ::X509_verify_cert_error_string(value); }
};

/// The category of OpenSSL's own error codes.
inline const std::error_category& openssl_category() noexcept {
    static const OpensslCategory category;
    return category;
}

/// The category of certificate verification results.
inline const std::error_category& x509_category() noexcept {
    static const X509Category category;
    return category;
}

/// The code of OpenSSL error `e`: a system error keeps its errno (a missing file is
/// `no_such_file_or_directory`), any other is OpenSSL's code in `openssl_category`.
inline std::error_code openssl_error(unsigned long e) noexcept {
    if (e == 0) return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, ERR_R_INTERNAL_ERROR)), openssl_category()};
    if (ERR_SYSTEM_ERROR(e)) return {ERR_GET_REASON(e), std::system_category()};
    return {static_cast<int>(e), openssl_category()};
}

/// The error at the head of this thread's OpenSSL error queue (the first cause), and the
/// queue cleared.
inline std::error_code take_openssl_error() noexcept {
    const unsigned long e = ::ERR_get_error();
    ::ERR_clear_error();
    return openssl_error(e);
}

/// What the BIO works with: the descriptor, the flags of the call in progress, and the
/// system error that stopped it (a would-block is not an error: it asks for a wait).
struct TlsIo {
    native_handle_type fd = invalid_handle;
    int flags = 0;
    std::error_code error;
};

inline int tls_bio_write(BIO* bio, const char* data, int size) noexcept {
    auto* io = static_cast<TlsIo*>(::BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    for (;;) {
        std::error_code ec;
        const auto n = ops::send(io->fd, data, static_cast<std::size_t>(size), io->flags, ec);
        if (!ec) return static_cast<int>(n);
        if (is_interrupted(ec)) continue;
        if (is_would_block(ec)) {
            BIO_set_retry_write(bio);
        } else {
            io->error = ec;
        }
        return -1;
    }
}

inline int tls_bio_read(BIO* bio, char* data, int size) noexcept {
    auto* io = static_cast<TlsIo*>(::BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    for (;;) {
        std::error_code ec;
        const auto n = ops::recv(io->fd, data, static_cast<std::size_t>(size), io->flags, ec);
        if (!ec) return static_cast<int>(n); // 0: the peer closed the connection
        if (is_interrupted(ec)) continue;
        if (is_would_block(ec)) {
            BIO_set_retry_read(bio);
        } else {
            io->error = ec;
        }
        return -1;
    }
}

inline int tls_bio_puts(BIO* bio, const char* text) noexcept {
    return tls_bio_write(bio, text, static_cast<int>(std::char_traits<char>::length(text)));
}

inline long tls_bio_ctrl(BIO*, int command, long, void*) noexcept {
    return command == BIO_CTRL_FLUSH ? 1 : 0; // nothing is buffered here
}

inline int tls_bio_create(BIO* bio) noexcept {
    ::BIO_set_init(bio, 1);
    return 1;
}

/// The BIO method: made once per process, never changed after.
inline BIO_METHOD* tls_bio_method() noexcept {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = ::BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sockit socket");
        if (m == nullptr) return m;
        ::BIO_meth_set_write(m, tls_bio_write);
        ::BIO_meth_set_read(m, tls_bio_read);
        ::BIO_meth_set_puts(m, tls_bio_puts);
        ::BIO_meth_set_ctrl(m, tls_bio_ctrl);
        ::BIO_meth_set_create(m, tls_bio_create);
        return m;
    }();
    return method;
}

/// A BIO over `io`, which must outlive it; nullptr if out of memory.
inline BIO* make_tls_bio(TlsIo* io) noexcept {
    BIO_METHOD* method = tls_bio_method();
    BIO* bio = method == nullptr ? nullptr : ::BIO_new(method);
    if (bio != nullptr) ::BIO_set_data(bio, io);
    return bio;
}

} // namespace sockit::detail
