// SPDX-License-Identifier: MIT
// TLS over sockit's stream sockets, with OpenSSL 3: TlsContext, TlsStream, TlsSocketStream,
// and their errors (TlsError, CertificateError). Link the CMake target sockit::tls (or the
// pkg-config package sockit-tls), which brings OpenSSL::SSL.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/buffer.hpp"
#include "sockit/connect_options.hpp"
#include "sockit/detail/stream_algorithms.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/timed_io.hpp"
#include "sockit/detail/tls_openssl.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"
#include "sockit/stream.hpp"
#include "sockit/tcp.hpp"
#include "sockit/unix_stream.hpp"

namespace sockit {

/// Errors of sockit's TLS layer itself (OpenSSL's own are in `tls_openssl_category()`,
/// certificate verification results in `tls_certificate_category()`).
enum class TlsErrc {
    truncated = 1,       ///< the peer closed the connection without a TLS close_notify
    closed_in_handshake, ///< the peer closed the connection during the handshake
    context_in_use,      ///< a setting changed on a context a stream already uses
    no_server_name,      ///< a verifying client was given no server name to check
    no_memory,           ///< OpenSSL could not allocate a connection
};

} // namespace sockit

template <>
struct std::is_error_code_enum<sockit::TlsErrc> : std::true_type {};

namespace sockit {

namespace detail {
class TlsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "tls"; }
    std::string message(int value) const override {
        switch (static_cast<TlsErrc>(value)) {
        case TlsErrc::truncated: return "connection closed without a TLS close_notify (truncated)";
        case TlsErrc::closed_in_handshake: return "connection closed by the peer during the TLS handshake";
        case TlsErrc::context_in_use: return "the TLS context is in use: its settings are frozen";
        case TlsErrc::no_server_name:
            return "no server name to verify (give one, or turn verification off with Verify::none_insecure)";
        case TlsErrc::no_memory: return "out of memory for a TLS connection";
        }
        return "unknown TLS error";
    }
};
} // namespace detail

/// The category of `TlsErrc` codes.
inline const std::error_category& tls_category() noexcept {
    static const detail::TlsCategory category;
    return category;
}
/// The category of OpenSSL's error codes; `message()` is OpenSSL's reason string.
inline const std::error_category& tls_openssl_category() noexcept { return detail::openssl_category(); }
/// The category of certificate verification results (`X509_V_ERR_*` values); `message()` is
/// OpenSSL's text, e.g. "certificate has expired".
inline const std::error_category& tls_certificate_category() noexcept { return detail::x509_category(); }

/// Makes a `std::error_code` from a TLS error value.
inline std::error_code make_error_code(TlsErrc e) noexcept { return {static_cast<int>(e), tls_category()}; }

/**
 * A TLS failure: a handshake or record the peer got wrong, a protocol version or ALPN
 * protocol the two sides do not share, a connection truncated without close_notify
 * (`TlsErrc::truncated`). `code()` is in `tls_category()` or `tls_openssl_category()`, and
 * `what()` ends with OpenSSL's reason ("wrong version number", "unsupported protocol", ...).
 */
class TlsError : public Error {
    using Error::Error;
};

/**
 * The peer's certificate failed verification. `code()` is in `tls_certificate_category()`:
 * `verify_code()` is OpenSSL's `X509_V_ERR_*` value and `what()` ends with its text
 * ("certificate has expired", "hostname mismatch", "self-signed certificate", ...).
 */
class CertificateError : public TlsError {
public:
    using TlsError::TlsError;
    /// The verification result (`X509_V_ERR_*`).
    long verify_code() const noexcept { return code().value(); }
};

namespace detail {
/// Throws the exception of `ec`: `CertificateError` or `TlsError` for TLS codes, else as
/// `throw_error` (a peer that reset the connection is `ConnectionReset`, and so on).
[[noreturn]] inline void throw_tls_error(const std::error_code& ec, const std::string& context, Transfer transfer) {
    if (ec.category() == x509_category()) throw CertificateError(ec, context, std::move(transfer));
    if (ec.category() == tls_category() || ec.category() == openssl_category())
        throw TlsError(ec, context, std::move(transfer));
    throw_error(ec, context, std::move(transfer));
}
/// `throw_tls_error` without a transfer.
[[noreturn]] SOCKIT_COLD inline void throw_tls(const std::error_code& ec, const std::string& context) {
    throw_tls_error(ec, context, {});
}

/// A message prefix given as text.
inline std::string describe(const std::string& text) { return text; }

/// `or_throw` for TLS operations: runs `op(ec)`, returns its result, and throws
/// `throw_tls`'s exception described by `where` if it set `ec`.
template <class Op, class Where>
auto or_throw_tls(Op&& op, Where&& where) -> decltype(op(std::declval<std::error_code&>())) {
    std::error_code ec;
    if constexpr (std::is_void_v<decltype(op(ec))>) {
        op(ec);
        if (ec) throw_tls(ec, describe(where));
    } else {
        auto result = op(ec);
        if (ec) throw_tls(ec, describe(where));
        return result;
    }
}
} // namespace detail

/// The oldest TLS version a context accepts. Older ones (SSL 3, TLS 1.0, 1.1) are never offered.
enum class TlsVersion {
    v1_2, ///< TLS 1.2 (the default)
    v1_3, ///< TLS 1.3
};

/// Whether a client verifies the server's certificate.
enum class Verify {
    peer,          ///< verify the chain against the trusted CAs and the server's name (the default)
    none_insecure, ///< accept any certificate from anyone: for tests and debugging only
};

/// Whether a server asks its clients for a certificate.
enum class ClientCertificate {
    none,     ///< no client certificate (the default)
    optional, ///< ask for one and verify it if given
    required, ///< ask for one, verify it, and refuse a client that sends none (mutual TLS)
};

class TlsStream;

/**
 * The settings TLS connections share: role, certificates, trusted CAs, verification, ALPN,
 * minimum version. A handle: copies share one OpenSSL `SSL_CTX`.
 *
 * `client()` has Python's `ssl.create_default_context()` defaults: TLS 1.2 or newer, the
 * server's certificate verified against the system's trusted CAs, and its name checked
 * (the stream's server name, inside the handshake). Turning verification off takes
 * `set_verify(Verify::none_insecure)`, spelt out. `server(chain, key)` serves a certificate
 * chain and its key, TLS 1.2 or newer.
 *
 * Thread safety: set everything up first, then share it. The first stream made with a
 * context freezes its settings; from then on any number of threads may make streams with
 * it at once, and a setter fails with `TlsErrc::context_in_use`.
 *
 * @code
 * auto context = sockit::TlsContext::client();
 * auto tls = sockit::TlsStream::connect(context, "example.com", 443, std::chrono::seconds(5));
 * tls.send_all("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n");
 * @endcode
 */
class TlsContext {
public:
    /// A context for clients with the defaults above, or one that owns nothing with `ec` set.
    static TlsContext client(std::error_code& ec) noexcept {
        TlsContext context = make(false, ec);
        if (ec) return context;
        ::SSL_CTX_set_verify(context.ctx(), SSL_VERIFY_PEER, nullptr);
        if (::SSL_CTX_set_default_verify_paths(context.ctx()) != 1) {
            ec = detail::take_openssl_error();
            return {};
        }
        return context;
    }
    /// A context for clients with the defaults above. @throws TlsError.
    static TlsContext client() {
        return detail::or_throw_tls([](std::error_code& ec) { return client(ec); }, "TLS client context");
    }

    /// A context for servers presenting the PEM certificate chain in `chain_file` (the
    /// server's certificate first) and the PEM private key in `key_file`.
    static TlsContext server(const std::string& chain_file, const std::string& key_file, std::error_code& ec) noexcept {
        TlsContext context = make(true, ec);
        if (!ec) context.use_certificate(chain_file, key_file, ec);
        return ec ? TlsContext() : context;
    }
    /**
     * A context for servers presenting `chain_file` and `key_file`.
     * @throws Error naming the file (e.g. No such file or directory), or TlsError when the
     *         key does not match the certificate ("key values mismatch") or a file is not PEM.
     */
    static TlsContext server(const std::string& chain_file, const std::string& key_file) {
        std::string failed = "TLS server context";
        std::error_code ec;
        TlsContext context = make(true, ec);
        if (!ec) context.use_certificate(chain_file, key_file, ec, &failed);
        if (ec) detail::throw_tls(ec, failed);
        return context;
    }

    /// A context for servers presenting the PEM chain `chain_pem` (the server's certificate
    /// first) with the PEM private key `key_pem`, both held in memory.
    static TlsContext server_from_pem(std::string_view chain_pem, std::string_view key_pem,
                                      std::error_code& ec) noexcept {
        TlsContext context = make(true, ec);
        if (!ec) context.use_certificate_pem(chain_pem, key_pem, ec);
        return ec ? TlsContext() : context;
    }
    /// A context for servers presenting a PEM chain and key held in memory. @throws TlsError.
    static TlsContext server_from_pem(std::string_view chain_pem, std::string_view key_pem) {
        return detail::or_throw_tls([&](std::error_code& ec) { return server_from_pem(chain_pem, key_pem, ec); },
                                    "TLS server certificate and key (PEM text)");
    }

    /// A context that owns nothing.
    TlsContext() noexcept = default;

    /// True if this context owns an OpenSSL context.
    explicit operator bool() const noexcept { return state_ != nullptr; }
    /// True for a server context.
    bool is_server() const noexcept { return state_ && state_->server; }
    /// True once a stream has used this context: its settings can no longer change.
    bool frozen() const noexcept { return state_ && state_->frozen.load(std::memory_order_acquire); }
    /// The OpenSSL context, for settings this class does not offer (made before first use).
    SSL_CTX* native_handle() const noexcept { return state_ ? state_->ctx : nullptr; }

    /// Trusts the CA certificates in the PEM file `path` (in addition to those already trusted).
    void load_ca_file(const std::string& path, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        if (::SSL_CTX_load_verify_locations(ctx(), path.c_str(), nullptr) != 1) ec = detail::take_openssl_error();
    }
    /// Trusts the CA certificates in the PEM file `path`. @throws Error or TlsError naming the file.
    void load_ca_file(const std::string& path) {
        detail::or_throw_tls([&](std::error_code& ec) { load_ca_file(path, ec); }, "load CA file " + path);
    }
    /// Trusts the CA certificates in folder `path` (named by hash, as `openssl rehash` makes it).
    void load_ca_directory(const std::string& path, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        if (::SSL_CTX_load_verify_locations(ctx(), nullptr, path.c_str()) != 1) ec = detail::take_openssl_error();
    }
    /// Trusts the CA certificates in folder `path`. @throws Error or TlsError naming the folder.
    void load_ca_directory(const std::string& path) {
        detail::or_throw_tls([&](std::error_code& ec) { load_ca_directory(path, ec); }, "load CA directory " + path);
    }
    /// Trusts the CA certificates in `pem` (one or more PEM blocks; at least one).
    void add_ca_pem(std::string_view pem, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        if (pem.size() > INT_MAX) {
            ec = make_error_code(Errc::invalid_argument);
            return;
        }
        BIO* bio = ::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
        if (bio == nullptr) {
            ec = make_error_code(TlsErrc::no_memory);
            return;
        }
        X509_STORE* store = ::SSL_CTX_get_cert_store(ctx());
        int added = 0;
        while (X509* cert = ::PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
            const int ok = ::X509_STORE_add_cert(store, cert);
            ::X509_free(cert);
            if (ok != 1) break;
            ++added;
        }
        ::BIO_free(bio);
        const unsigned long last = ::ERR_peek_last_error();
        if (added > 0 && ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
            ::ERR_clear_error(); // the end of the text
            return;
        }
        ec = detail::take_openssl_error();
    }
    /// Trusts the CA certificates in `pem`. @throws TlsError if it holds no certificate.
    void add_ca_pem(std::string_view pem) {
        detail::or_throw_tls([&](std::error_code& ec) { add_ca_pem(pem, ec); }, "add CA certificate (PEM text)");
    }

    /// Presents the PEM certificate chain in `chain_file` with the key in `key_file`: a
    /// server's certificate, or a client's for mutual TLS. The key must match.
    void use_certificate(const std::string& chain_file, const std::string& key_file, std::error_code& ec) noexcept {
        use_certificate(chain_file, key_file, ec, nullptr);
    }
    /// Presents a certificate chain and its key. @throws Error or TlsError naming the file.
    void use_certificate(const std::string& chain_file, const std::string& key_file) {
        std::string failed;
        std::error_code ec;
        use_certificate(chain_file, key_file, ec, &failed);
        if (ec) detail::throw_tls(ec, failed);
    }

    /// Presents the PEM chain `chain_pem` (the certificate first) with the PEM key `key_pem`,
    /// both held in memory. The key must match.
    void use_certificate_pem(std::string_view chain_pem, std::string_view key_pem, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        if (chain_pem.size() > INT_MAX || key_pem.size() > INT_MAX) {
            ec = make_error_code(Errc::invalid_argument);
            return;
        }
        ::ERR_clear_error();
        BIO* chain = ::BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()));
        BIO* key_bio = ::BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
        bool ok = chain != nullptr && key_bio != nullptr;
        X509* leaf = ok ? ::PEM_read_bio_X509_AUX(chain, nullptr, nullptr, nullptr) : nullptr;
        ok = leaf != nullptr && ::SSL_CTX_use_certificate(ctx(), leaf) == 1;
        ::X509_free(leaf);
        if (ok) {
            ::SSL_CTX_clear_chain_certs(ctx());
            while (X509* more = ::PEM_read_bio_X509(chain, nullptr, nullptr, nullptr)) {
                if (::SSL_CTX_add0_chain_cert(ctx(), more) != 1) {
                    ::X509_free(more);
                    ok = false;
                    break;
                }
            }
            const unsigned long last = ::ERR_peek_last_error();
            if (ok && ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)
                ::ERR_clear_error(); // the end of the chain
        }
        EVP_PKEY* key = ok ? ::PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr) : nullptr;
        ok = key != nullptr && ::SSL_CTX_use_PrivateKey(ctx(), key) == 1 && ::SSL_CTX_check_private_key(ctx()) == 1;
        ::EVP_PKEY_free(key);
        ::BIO_free(chain);
        ::BIO_free(key_bio);
        if (!ok) ec = ::ERR_peek_error() == 0 ? make_error_code(TlsErrc::no_memory) : detail::take_openssl_error();
    }
    /// Presents a PEM chain and key held in memory. @throws TlsError ("key values mismatch", ...).
    void use_certificate_pem(std::string_view chain_pem, std::string_view key_pem) {
        detail::or_throw_tls([&](std::error_code& ec) { use_certificate_pem(chain_pem, key_pem, ec); },
                             "TLS certificate and key (PEM text)");
    }

    /// A server's demand for client certificates (verified against the CAs this context trusts).
    void set_client_certificate(ClientCertificate mode, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        int flags = SSL_VERIFY_NONE;
        if (mode != ClientCertificate::none) flags = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
        if (mode == ClientCertificate::required) flags |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        ::SSL_CTX_set_verify(ctx(), flags, nullptr);
    }
    /// A server's demand for client certificates. @throws TlsError if the context is in use.
    void set_client_certificate(ClientCertificate mode) {
        detail::or_throw_tls([&](std::error_code& ec) { set_client_certificate(mode, ec); }, "set_client_certificate");
    }

    /// Whether a client verifies the server (`Verify::peer`, the default) or accepts anyone.
    void set_verify(Verify verify, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        state_->verify = verify;
        ::SSL_CTX_set_verify(ctx(), verify == Verify::peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    }
    /// Whether a client verifies the server. @throws TlsError if the context is in use.
    void set_verify(Verify verify) {
        detail::or_throw_tls([&](std::error_code& ec) { set_verify(verify, ec); }, "set_verify");
    }
    /// The verification mode of a client context.
    Verify verify() const noexcept { return state_ ? state_->verify : Verify::peer; }

    /// The oldest protocol version accepted (TLS 1.2 unless changed).
    void set_min_version(TlsVersion version, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        if (::SSL_CTX_set_min_proto_version(ctx(), version == TlsVersion::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1)
            ec = detail::take_openssl_error();
    }
    /// The oldest protocol version accepted. @throws TlsError if the context is in use.
    void set_min_version(TlsVersion version) {
        detail::or_throw_tls([&](std::error_code& ec) { set_min_version(version, ec); }, "set_min_version");
    }

    /**
     * The application protocols (ALPN), most preferred first: a client offers them; a
     * server picks the first of its own that the client offers, and refuses a client that
     * offers some but none of these (alert "no application protocol"). Each name is 1 to
     * 255 bytes. `TlsStream::alpn_protocol()` tells what was agreed.
     */
    void set_alpn(const std::vector<std::string>& protocols, std::error_code& ec) noexcept {
        if (!settable(ec)) return;
        std::string wire;
        try {
            for (const std::string& p : protocols) {
                if (p.empty() || p.size() > 255) {
                    ec = make_error_code(Errc::invalid_argument);
                    return;
                }
                wire += static_cast<char>(p.size());
                wire += p;
            }
        } catch (const std::bad_alloc&) {
            ec = make_error_code(TlsErrc::no_memory);
            return;
        }
        if (!state_->server && ::SSL_CTX_set_alpn_protos(ctx(), reinterpret_cast<const unsigned char*>(wire.data()),
                                                         static_cast<unsigned>(wire.size())) != 0) {
            ec = detail::take_openssl_error();
            return;
        }
        state_->alpn = std::move(wire);
        if (state_->server) ::SSL_CTX_set_alpn_select_cb(ctx(), select_alpn, state_.get());
    }
    /// The application protocols (ALPN). @throws Error naming a bad protocol name, or TlsError.
    void set_alpn(const std::vector<std::string>& protocols) {
        detail::or_throw_tls([&](std::error_code& ec) { set_alpn(protocols, ec); },
                             [&] {
                                 std::string text = "set_alpn (";
                                 for (const std::string& p : protocols) text += "\"" + p + "\" ";
                                 text += "; each name must have 1 to 255 bytes)";
                                 return text;
                             });
    }

private:
    friend class TlsStream;

    struct State {
        SSL_CTX* ctx = nullptr;
        bool server = false;
        Verify verify = Verify::peer;
        std::atomic<bool> frozen{false};
        std::string alpn; // wire format: length-prefixed names
        ~State() { ::SSL_CTX_free(ctx); }
    };
    std::shared_ptr<State> state_;

    SSL_CTX* ctx() const noexcept { return state_->ctx; }

    static TlsContext make(bool server, std::error_code& ec) noexcept {
        ec.clear();
        TlsContext context;
        try {
            context.state_ = std::make_shared<State>();
        } catch (const std::bad_alloc&) {
            ec = make_error_code(TlsErrc::no_memory);
            return context;
        }
        State& s = *context.state_;
        s.server = server;
        s.ctx = ::SSL_CTX_new(server ? ::TLS_server_method() : ::TLS_client_method());
        if (s.ctx == nullptr || ::SSL_CTX_set_min_proto_version(s.ctx, TLS1_2_VERSION) != 1) {
            ec = detail::take_openssl_error();
            return {};
        }
        // A record at a time, and a retried write may come from another address (send_all
        // after a would-block): the bytes must be the same, as OpenSSL requires.
        ::SSL_CTX_set_mode(s.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // Renegotiation is a source of attacks and of surprises to non-blocking callers.
        ::SSL_CTX_set_options(s.ctx, SSL_OP_NO_RENEGOTIATION);
        if (server) ::SSL_CTX_set_tlsext_servername_callback(s.ctx, note_server_name);
        return context;
    }
    bool settable(std::error_code& ec) const noexcept {
        ec.clear();
        if (!state_) {
            ec = make_error_code(Errc::invalid_argument);
            return false;
        }
        if (frozen()) {
            ec = make_error_code(TlsErrc::context_in_use);
            return false;
        }
        return true;
    }

    void use_certificate(const std::string& chain_file, const std::string& key_file, std::error_code& ec,
                         std::string* failed) noexcept {
        if (!settable(ec)) {
            if (failed != nullptr) *failed = "use_certificate";
            return;
        }
        const char* step = nullptr;
        const std::string* file = &chain_file;
        if (::SSL_CTX_use_certificate_chain_file(ctx(), chain_file.c_str()) != 1) {
            step = "certificate chain ";
        } else if (::SSL_CTX_use_PrivateKey_file(ctx(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            step = "private key ";
            file = &key_file;
        } else if (::SSL_CTX_check_private_key(ctx()) != 1) {
            step = "private key (does not match the certificate) ";
            file = &key_file;
        }
        if (step == nullptr) return;
        const unsigned long e = ::ERR_peek_error();
        if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            step = "private key (does not match the certificate) ";
        ec = detail::take_openssl_error();
        if (failed != nullptr) {
            try {
                *failed = std::string("TLS ") + step + *file;
            } catch (const std::bad_alloc&) {}
        }
    }

    static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
                           unsigned in_size, void* arg) noexcept {
        const auto* state = static_cast<const State*>(arg);
        unsigned char* chosen = nullptr;
        const auto* ours = reinterpret_cast<const unsigned char*>(state->alpn.data());
        if (::SSL_select_next_proto(&chosen, out_size, ours, static_cast<unsigned>(state->alpn.size()), in, in_size) !=
            OPENSSL_NPN_NEGOTIATED)
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        *out = chosen;
        return SSL_TLSEXT_ERR_OK;
    }

    static int note_server_name(SSL*, int*, void*) noexcept;

    void freeze() const noexcept { state_->frozen.store(true, std::memory_order_release); }
};

namespace detail {
/// One TLS connection's OpenSSL state; on the heap, so that the BIO's pointer to `io`
/// stays valid when the stream moves.
struct TlsSession {
    SSL* ssl = nullptr;
    TlsIo io;
    std::shared_ptr<void> context; // keeps the context's state (ALPN list) alive
    std::string sni;               // a server: the name the client asked for
    bool failed = false;           // a fatal error: no close_notify, no more I/O
    bool close_sent = false;
    bool want_write = false;  // the last would-block waits for room to send
    bool read_waited = false; // the last read had to wait: the next one waits first
    TlsSession() = default;
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;
    ~TlsSession() { ::SSL_free(ssl); }
};
} // namespace detail

inline int TlsContext::note_server_name(SSL* ssl, int*, void*) noexcept {
    auto* session = static_cast<detail::TlsSession*>(SSL_get_app_data(ssl));
    const char* name = ::SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (session != nullptr && name != nullptr) {
        try {
            session->sni = name;
        } catch (const std::bad_alloc&) {
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

/**
 * A TLS connection over a connected stream socket (TCP or Unix-domain), with the plain
 * streams' contract: every operation in a throwing and a `std::error_code&` form; the
 * socket's timeout (Python's model: none blocks, zero is non-blocking, a duration bounds
 * each call) bounds each whole call, handshake included, under one deadline; EINTR is
 * retried within it; a peer that has gone is `BrokenPipe` or `ConnectionReset`, never a
 * SIGPIPE (every byte goes through sockit's send with MSG_NOSIGNAL).
 *
 * The handshake runs either explicitly (`handshake()`) or inside the first `send`/`recv`,
 * under that call's deadline. `client()` and `server()` only wrap the socket: a server
 * accepting with a plain `TcpServer` hands each connection to `server()` at once and runs
 * its handshake under the stream's own timeout (or non-blocking with a Poller), so one
 * slow or hostile client never stalls the others.
 *
 * `recv` returns 0 once the peer sent close_notify; a connection that ends without it is
 * `TlsErrc::truncated` (a `TlsError`), never a clean end. `shutdown()` sends close_notify;
 * `close()` and the destructor send it too when the socket can take it without waiting.
 *
 * Non-blocking (timeout zero): a call that cannot go on fails with would-block and
 * `wants_write()` says whether to wait for writability (else readability) before calling
 * again. Data already decrypted is not seen by poll: read while `pending()` is non-zero.
 * A send that would block must be repeated with the same bytes (send_all does).
 *
 * One thread at a time: unlike a plain socket, a TLS stream cannot have one thread
 * receiving while another sends, as both change the one OpenSSL connection state. Streams
 * made from one context may each be used by a thread of their own.
 */
class TlsStream : public SocketOperations {
public:
    /// A stream that owns nothing.
    TlsStream() noexcept = default;

    /**
     * The client side over a connected TCP stream. `server_name` is sent as SNI (unless it
     * is an IP address) and checked against the certificate, as a name or as an IP address,
     * inside the handshake. Needs a name unless the context has `Verify::none_insecure`.
     */
    static TlsStream client(const TlsContext& context, TcpStream&& stream, std::string_view server_name,
                            std::error_code& ec) noexcept {
        return make(context, std::move(stream.socket()), false, server_name, ec);
    }
    /// The client side over a connected TCP stream. @throws TlsError (no server name).
    static TlsStream client(const TlsContext& context, TcpStream&& stream, std::string_view server_name) {
        return detail::or_throw_tls(
            [&](std::error_code& ec) { return client(context, std::move(stream), server_name, ec); }, "TLS client");
    }
    /// The client side over a connected Unix-domain stream.
    static TlsStream client(const TlsContext& context, UnixStream&& stream, std::string_view server_name,
                            std::error_code& ec) noexcept {
        return make(context, std::move(stream.socket()), false, server_name, ec);
    }
    /// The client side over a connected Unix-domain stream. @throws TlsError.
    static TlsStream client(const TlsContext& context, UnixStream&& stream, std::string_view server_name) {
        return detail::or_throw_tls(
            [&](std::error_code& ec) { return client(context, std::move(stream), server_name, ec); }, "TLS client");
    }

    /// The server side over an accepted TCP stream (the handshake runs later: see above).
    static TlsStream server(const TlsContext& context, TcpStream&& stream, std::error_code& ec) noexcept {
        return make(context, std::move(stream.socket()), true, {}, ec);
    }
    /// The server side over an accepted TCP stream. @throws TlsError.
    static TlsStream server(const TlsContext& context, TcpStream&& stream) {
        return detail::or_throw_tls([&](std::error_code& ec) { return server(context, std::move(stream), ec); },
                                    "TLS server");
    }
    /// The server side over an accepted Unix-domain stream.
    static TlsStream server(const TlsContext& context, UnixStream&& stream, std::error_code& ec) noexcept {
        return make(context, std::move(stream.socket()), true, {}, ec);
    }
    /// The server side over an accepted Unix-domain stream. @throws TlsError.
    static TlsStream server(const TlsContext& context, UnixStream&& stream) {
        return detail::or_throw_tls([&](std::error_code& ec) { return server(context, std::move(stream), ec); },
                                    "TLS server");
    }

    /**
     * Connects to `host` on `port` (as `TcpClient`: every address in turn, `timeout` for
     * each attempt) and completes the handshake, sending `host` as SNI and checking it
     * against the certificate. The stream keeps `timeout`, which also bounds the handshake.
     */
    static TlsStream connect(const TlsContext& context, std::string_view host, int port,
                             std::optional<std::chrono::nanoseconds> timeout, std::error_code& ec) noexcept {
        TcpClient tcp = TcpClient::open(host, port, timeout, ec);
        if (ec) return {};
        TlsStream tls = client(context, std::move(tcp), host, ec);
        if (!ec) tls.handshake(ec);
        return ec ? TlsStream() : std::move(tls);
    }
    /**
     * Connects and completes the handshake; see above.
     * @throws AddressError, ConnectionRefused, TimeoutError, CertificateError (the server's
     *         certificate failed verification: expired, another name, untrusted, ...) or TlsError.
     */
    static TlsStream connect(const TlsContext& context, std::string_view host, int port,
                             std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        TcpClient tcp(host, port, timeout);
        TlsStream tls = client(context, std::move(tcp), host);
        tls.handshake();
        return tls;
    }

    /// Takes `other`'s connection; `other` is left owning nothing.
    TlsStream(TlsStream&& other) noexcept = default;
    /// Closes this stream (sending close_notify if it can without waiting), then takes `other`'s.
    TlsStream& operator=(TlsStream&& other) noexcept {
        if (this != &other) {
            notify_close_quietly();
            session_ = std::move(other.session_);
            last_failure_ = other.last_failure_;
            SocketOperations::operator=(std::move(other)); // closes this socket, takes other's
        }
        return *this;
    }
    /// Sends close_notify if the socket can take it without waiting, and closes.
    ~TlsStream() { notify_close_quietly(); }

    /// Runs the handshake now (else the first send or recv does), under the stream's timeout.
    void handshake(std::error_code& ec) noexcept {
        if (!ready(ec)) return;
        if (::SSL_is_init_finished(session_->ssl)) return;
        detail::Deadline deadline;
        drive([](SSL* ssl) { return ::SSL_do_handshake(ssl); }, deadline, ec);
    }
    /// Runs the handshake now. @throws CertificateError, TlsError, TimeoutError, ConnectionReset or Error.
    void handshake() {
        detail::or_throw_tls([&](std::error_code& ec) { handshake(ec); },
                             [&] { return detail::context("TLS handshake", known_peer()); });
    }
    /// True once the handshake has completed.
    bool handshake_done() const noexcept { return session_ && ::SSL_is_init_finished(session_->ssl); }

    /// Sends some of `data` (at most a few records); returns the bytes sent.
    std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return send_some(static_cast<const char*>(data), size, deadline, ec);
    }
    /// Sends some of `data`. @throws BrokenPipe, ConnectionReset, TimeoutError, TlsError, Error.
    std::size_t send(const void* data, std::size_t size) {
        return or_throw_at([&](std::error_code& ec) { return send(data, size, ec); }, "TLS send");
    }
    /// Sends some of `data`.
    std::size_t send(std::string_view data, std::error_code& ec) noexcept { return send(data.data(), data.size(), ec); }
    /// Sends some of `data`. @throws as `send(const void*, std::size_t)`.
    std::size_t send(std::string_view data) { return send(data.data(), data.size()); }

    /// Sends all of `data` under one deadline; returns the bytes sent.
    std::size_t send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
        return detail::send_all([this](const char* p, std::size_t n, detail::Deadline& d,
                                       std::error_code& e) { return send_some(p, n, d, e); },
                                data, size, ec);
    }
    /// Sends all of `data`. @throws as `send`; `transferred()` says how many bytes went.
    void send_all(const void* data, std::size_t size) {
        std::error_code ec;
        std::size_t sent = send_all(data, size, ec);
        if (ec) detail::throw_partial(ec, "TLS send_all", known_peer(), sent, size, "sent", detail::throw_tls_error);
    }
    /// Sends all of `data`.
    std::size_t send_all(std::string_view data, std::error_code& ec) noexcept {
        return send_all(data.data(), data.size(), ec);
    }
    /// Sends all of `data`. @throws as `send_all(const void*, std::size_t)`.
    void send_all(std::string_view data) { send_all(data.data(), data.size()); }

    /// Sends some of several buffers (small ones gathered into one record); returns the bytes sent.
    std::size_t send(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return send_gather(buffers, count, 0, deadline, ec);
    }
    /// Sends some of several buffers. @throws as `send`.
    std::size_t send(const ConstBuffer* buffers, std::size_t count) {
        return or_throw_at([&](std::error_code& ec) { return send(buffers, count, ec); }, "TLS send");
    }
    /// Sends all bytes of several buffers, in order, under one deadline.
    std::size_t send_all(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        return detail::send_all_gather([this](const ConstBuffer* b, std::size_t n, std::size_t skip,
                                              detail::Deadline& d,
                                              std::error_code& e) { return send_gather(b, n, skip, d, e); },
                                       buffers, count, ec);
    }
    /// Sends all bytes of several buffers. @throws as `send_all(const void*, std::size_t)`.
    void send_all(const ConstBuffer* buffers, std::size_t count) {
        std::error_code ec;
        std::size_t sent = send_all(buffers, count, ec);
        if (ec)
            detail::throw_partial(ec, "TLS send_all", known_peer(), sent, detail::total_size(buffers, count), "sent",
                                  detail::throw_tls_error);
    }
    /// Sends all bytes of several buffers: `send_all({sockit::buffer(header), sockit::buffer(body)})`.
    void send_all(std::initializer_list<ConstBuffer> buffers) { send_all(buffers.begin(), buffers.size()); }
    /// Sends all bytes of several buffers.
    std::size_t send_all(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept {
        return send_all(buffers.begin(), buffers.size(), ec);
    }

    /// Receives up to `size` bytes; 0 means the peer sent close_notify (a clean end).
    std::size_t recv(void* data, std::size_t size, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        return recv_some(static_cast<char*>(data), size, deadline, ec);
    }
    /// Receives up to `size` bytes; 0 at a clean end. @throws TlsError (`TlsErrc::truncated`
    /// for a close without close_notify), ConnectionReset, TimeoutError, Error.
    std::size_t recv(void* data, std::size_t size) {
        return or_throw_at([&](std::error_code& ec) { return recv(data, size, ec); }, "TLS recv");
    }
    /// Receives up to `max_size` bytes into a new string; empty at a clean end.
    std::string recv(std::size_t max_size, std::error_code& ec) {
        std::string out(max_size, '\0');
        out.resize(recv(&out[0], max_size, ec));
        return out;
    }
    /// Receives up to `max_size` bytes into a new string. @throws as `recv(void*, std::size_t)`.
    std::string recv(std::size_t max_size) {
        std::string out(max_size, '\0');
        out.resize(recv(&out[0], max_size));
        return out;
    }
    /// Receives into several buffers in order: one wait at most, then what is already
    /// decrypted; returns the total (0: a clean end).
    std::size_t recv(const MutableBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
        detail::Deadline deadline;
        std::size_t total = 0;
        ec.clear();
        for (std::size_t i = 0; i < count; ++i) {
            if (buffers[i].size == 0) continue;
            if (total > 0 && ::SSL_pending(session_->ssl) <= 0) break; // would wait: return what came
            const std::size_t n = recv_some(static_cast<char*>(buffers[i].data), buffers[i].size, deadline, ec);
            if (ec || n == 0) {
                if (total > 0) ec.clear(); // reported by the next call
                break;
            }
            total += n;
            if (n < buffers[i].size) break;
        }
        return total;
    }
    /// Receives into several buffers. @throws as `recv(void*, std::size_t)`.
    std::size_t recv(const MutableBuffer* buffers, std::size_t count) {
        return or_throw_at([&](std::error_code& ec) { return recv(buffers, count, ec); }, "TLS recv");
    }

    /// Receives exactly `size` bytes under one deadline; `Errc::end_of_stream` after a clean
    /// end, `TlsErrc::truncated` after an unclean one.
    std::size_t recv_exactly(void* data, std::size_t size, std::error_code& ec) noexcept {
        return detail::recv_exactly(
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return recv_some(p, n, d, e); },
            data, size, ec);
    }
    /// Receives exactly `size` bytes. @throws as `recv`, or Error with `Errc::end_of_stream`.
    void recv_exactly(void* data, std::size_t size) {
        std::error_code ec;
        std::size_t got = recv_exactly(data, size, ec);
        if (ec)
            detail::throw_partial(ec, "TLS recv_exactly", known_peer(), got, size, "received", detail::throw_tls_error);
    }

    /// Receives up to and including `delimiter`, at most `max_size` bytes (see
    /// `Socket::recv_until`): what follows the delimiter stays for the next call.
    std::string recv_until(std::string_view delimiter, std::size_t max_size, std::error_code& ec) {
        return detail::recv_until(
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return peek_some(p, n, d, e); },
            [this](char* p, std::size_t n, detail::Deadline& d, std::error_code& e) { return recv_some(p, n, d, e); },
            delimiter, max_size, ec);
    }
    /// Receives up to and including `delimiter`. @throws as `Socket::recv_until`, or TlsError.
    std::string recv_until(std::string_view delimiter, std::size_t max_size) {
        std::error_code ec;
        std::string out = recv_until(delimiter, max_size, ec);
        if (ec) detail::throw_recv_until(ec, known_peer(), std::move(out), max_size, detail::throw_tls_error);
        return out;
    }

    /// Decrypted bytes waiting inside the TLS layer, which poll cannot see: a non-blocking
    /// reader reads them before waiting for readability again.
    std::size_t pending() const noexcept {
        if (!session_) return 0;
        const int n = ::SSL_pending(session_->ssl);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    /// After a would-block: true if the call waits for room to send, false if for data.
    bool wants_write() const noexcept { return session_ && session_->want_write; }
    /// After a would-block: true if the call waits for data to arrive.
    bool wants_read() const noexcept { return session_ && !session_->want_write; }

    /**
     * Sends close_notify (no more data from this side), under the stream's timeout; the
     * peer's `recv` then returns 0. Receiving goes on until the peer's own close_notify.
     * Does nothing after a fatal error or before the handshake completed.
     */
    void shutdown(std::error_code& ec) noexcept {
        ec.clear();
        if (!can_notify()) return;
        detail::Deadline deadline;
        drive(
            [](SSL* ssl) {
                const int r = ::SSL_shutdown(ssl);
                return r == 0 ? 1 : r; // 0: sent, the peer's not yet received
            },
            deadline, ec);
        if (!ec) session_->close_sent = true;
    }
    /// Sends close_notify. @throws BrokenPipe, ConnectionReset, TimeoutError, TlsError, Error.
    void shutdown() {
        detail::or_throw_tls([&](std::error_code& ec) { shutdown(ec); },
                             [&] { return detail::context("TLS shutdown", known_peer()); });
    }

    /// Sends close_notify if the socket can take it without waiting, then closes the socket.
    void close(std::error_code& ec) noexcept {
        notify_close_quietly();
        session_.reset();
        Socket::close(ec);
    }
    /// Closes; see above. @throws Error if close(2) fails.
    void close() {
        detail::or_throw_tls([&](std::error_code& ec) { close(ec); }, "close");
    }

    /// The peer's address (for a TCP stream).
    using Socket::peer_address;
    /// The local address (for a TCP stream).
    using Socket::local_address;

    /// The application protocol agreed with ALPN, or empty.
    std::string alpn_protocol() const {
        if (!session_) return {};
        const unsigned char* data = nullptr;
        unsigned size = 0;
        ::SSL_get0_alpn_selected(session_->ssl, &data, &size);
        return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
    }
    /// A server: the name the client sent as SNI, or empty (an IP address is never sent).
    /// A client: the name it checks.
    const std::string& server_name() const noexcept {
        static const std::string none;
        return session_ ? session_->sni : none;
    }
    /// The protocol version in use, e.g. "TLSv1.3" (after the handshake).
    std::string version() const { return session_ ? ::SSL_get_version(session_->ssl) : ""; }
    /// The cipher suite in use, e.g. "TLS_AES_256_GCM_SHA384" (after the handshake).
    std::string cipher() const {
        const char* name = session_ ? ::SSL_get_cipher_name(session_->ssl) : nullptr;
        return name == nullptr ? std::string() : std::string(name);
    }
    /// The OpenSSL connection, for what this class does not offer.
    SSL* native_ssl() const noexcept { return session_ ? session_->ssl : nullptr; }

private:
    using Socket::release; // the descriptor carries TLS state: never handed out bare

    std::unique_ptr<detail::TlsSession> session_;

    explicit TlsStream(Socket&& socket) noexcept : SocketOperations(std::move(socket)) {}

    static TlsStream make(const TlsContext& context, Socket&& socket, bool server, std::string_view server_name,
                          std::error_code& ec) noexcept {
        ec.clear();
        if (!context || context.is_server() != server || !socket.is_open()) {
            ec = make_error_code(Errc::invalid_argument);
            return {};
        }
        if (!server && server_name.empty() && context.verify() == Verify::peer) {
            ec = make_error_code(TlsErrc::no_server_name);
            return {};
        }
        TlsStream out(std::move(socket));
        try {
            out.session_ = std::make_unique<detail::TlsSession>();
            out.session_->context = context.state_;
            if (!server) out.session_->sni = std::string(server_name);
        } catch (const std::bad_alloc&) {
            ec = make_error_code(TlsErrc::no_memory);
            return {};
        }
        context.freeze();
        detail::TlsSession& s = *out.session_;
        s.ssl = ::SSL_new(context.native_handle());
        BIO* bio = s.ssl == nullptr ? nullptr : detail::make_tls_bio(&s.io);
        if (bio == nullptr) {
            ec = detail::take_openssl_error();
            return {};
        }
        ::SSL_set_bio(s.ssl, bio, bio);
        SSL_set_app_data(s.ssl, &s);
        if (server) {
            ::SSL_set_accept_state(s.ssl);
            return out;
        }
        ::SSL_set_connect_state(s.ssl);
        if (!server_name.empty() && !name_check(s, context.verify() == Verify::peer, ec)) return {};
        return out;
    }

    /// SNI for a name (never an IP address), and the name or address checked in the handshake.
    static bool name_check(detail::TlsSession& s, bool verify, std::error_code& ec) noexcept {
        std::error_code not_ip;
        (void)Address::parse(s.sni, 0, not_ip);
        X509_VERIFY_PARAM* param = ::SSL_get0_param(s.ssl);
        int ok = 1;
        if (!not_ip) {
            if (verify) ok = ::X509_VERIFY_PARAM_set1_ip_asc(param, s.sni.c_str());
        } else {
            ok = static_cast<int>(::SSL_set_tlsext_host_name(s.ssl, s.sni.c_str()));
            if (ok == 1 && verify) {
                ::X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = ::X509_VERIFY_PARAM_set1_host(param, s.sni.c_str(), s.sni.size());
            }
        }
        if (ok != 1) ec = detail::take_openssl_error();
        return ok == 1;
    }

    bool ready(std::error_code& ec) const noexcept {
        ec.clear();
        if (session_ && !session_->failed) return true;
        ec = session_ ? last_failure_ : std::make_error_code(std::errc::bad_file_descriptor);
        return false;
    }

    std::int64_t timeout_ns() const noexcept {
        const auto t = timeout();
        return t ? static_cast<std::int64_t>(t->count()) : -1;
    }

    /**
     * Runs `op(ssl)` — one OpenSSL call — as the socket's timeout says: after WANT_READ a
     * wait for readability, after WANT_WRITE for writability, all within `deadline`; in
     * non-blocking mode the would-block itself. Returns op's positive result, 0 at a
     * received close_notify, or -1 with `ec` set.
     *
     * A read (`reading`) with a timeout, after a read that had to wait (a reply not there
     * yet), waits first when nothing is buffered in the TLS layer, as plain sockets do: poll,
     * then the record's reads, one system call fewer than a read that fails, poll, the reads.
     */
    template <class Op>
    int drive(Op&& op, detail::Deadline& deadline, std::error_code& ec, bool reading = false) noexcept {
        detail::TlsSession& s = *session_;
        const std::int64_t timeout = timeout_ns();
        const native_handle_type fd = native_handle();
        s.io.fd = fd;
        s.io.flags = detail::call_flags(timeout);
        if (reading && s.read_waited && timeout > 0 && ::SSL_has_pending(s.ssl) == 0) {
            if (!detail::wait_first(fd, detail::Direction::in, timeout, deadline, s.read_waited, ec)) return -1;
        }
        for (;;) {
            s.io.error.clear();
            // SSL_get_error needs an empty error queue; clearing an empty one costs some 400
            // instructions (OpenSSL 3 walks every slot), more than a small record's I/O here.
            if (::ERR_peek_error() != 0) ::ERR_clear_error();
            const int r = op(s.ssl);
            if (r > 0) return r;
            const int err = ::SSL_get_error(s.ssl, r);
            if (err == SSL_ERROR_ZERO_RETURN) return 0;
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                ec = failure(err);
                return -1;
            }
            s.want_write = err == SSL_ERROR_WANT_WRITE;
            if (timeout == 0) {
                ec = std::make_error_code(std::errc::operation_would_block);
                return -1;
            }
            if (reading && timeout > 0 && !s.want_write) s.read_waited = true;
            if (!detail::wait_ready(fd, s.want_write ? detail::Direction::out : detail::Direction::in, timeout,
                                    deadline, ec))
                return -1;
        }
    }

    /// The error of a failed OpenSSL call; the connection is unusable after it.
    SOCKIT_COLD std::error_code failure(int err) noexcept {
        detail::TlsSession& s = *session_;
        s.failed = true;
        std::error_code ec;
        const unsigned long e = ::ERR_peek_error();
        const bool in_handshake = !::SSL_is_init_finished(s.ssl);
        if (s.io.error) {
            ec = s.io.error; // the socket's own error: EPIPE, ECONNRESET, ...
        } else if ((err == SSL_ERROR_SYSCALL && e == 0) ||
                   (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
            ec = make_error_code(in_handshake ? TlsErrc::closed_in_handshake : TlsErrc::truncated);
        } else if (const long verify = ::SSL_get_verify_result(s.ssl);
                   verify != X509_V_OK && ERR_GET_LIB(e) == ERR_LIB_SSL &&
                   ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            ec = {static_cast<int>(verify), detail::x509_category()};
        } else {
            ec = detail::openssl_error(e);
        }
        ::ERR_clear_error();
        last_failure_ = ec;
        return ec;
    }

    std::error_code last_failure_;

    /// The one-call primitives the stream algorithms run on.
    std::size_t send_some(const char* data, std::size_t size, detail::Deadline& deadline,
                          std::error_code& ec) noexcept {
        if (!ready(ec)) return 0;
        if (size == 0) { // nothing to send: the handshake, if it has not run, is all
            if (!::SSL_is_init_finished(session_->ssl))
                drive([](SSL* ssl) { return ::SSL_do_handshake(ssl); }, deadline, ec);
            return 0;
        }
        const int n = size > INT_MAX ? INT_MAX : static_cast<int>(size);
        const int r = drive([data, n](SSL* ssl) { return ::SSL_write(ssl, data, n); }, deadline, ec);
        if (!ec && r <= 0) ec = std::make_error_code(std::errc::broken_pipe); // the peer's close_notify
        return ec ? 0 : static_cast<std::size_t>(r);
    }
    std::size_t recv_some(char* data, std::size_t size, detail::Deadline& deadline, std::error_code& ec) noexcept {
        if (!ready(ec) || size == 0) return 0;
        const int n = size > INT_MAX ? INT_MAX : static_cast<int>(size);
        const int r = drive([data, n](SSL* ssl) { return ::SSL_read(ssl, data, n); }, deadline, ec, true);
        return ec ? 0 : static_cast<std::size_t>(r);
    }
    std::size_t peek_some(char* data, std::size_t size, detail::Deadline& deadline, std::error_code& ec) noexcept {
        if (!ready(ec) || size == 0) return 0;
        const int n = size > INT_MAX ? INT_MAX : static_cast<int>(size);
        const int r = drive([data, n](SSL* ssl) { return ::SSL_peek(ssl, data, n); }, deadline, ec, true);
        return ec ? 0 : static_cast<std::size_t>(r);
    }
    /// Sends from byte `skip` of the buffers' concatenation: a large buffer as it is, small
    /// ones gathered (on the stack) into one record.
    std::size_t send_gather(const ConstBuffer* buffers, std::size_t count, std::size_t skip, detail::Deadline& deadline,
                            std::error_code& ec) noexcept {
        constexpr std::size_t record = 16384;
        std::size_t i = 0;
        while (i < count && skip >= buffers[i].size) skip -= buffers[i++].size;
        if (i == count) return send_some(nullptr, 0, deadline, ec);
        const char* first = static_cast<const char*>(buffers[i].data) + skip;
        const std::size_t first_size = buffers[i].size - skip;
        if (first_size >= record || i + 1 == count) return send_some(first, first_size, deadline, ec);
        char gathered[record];
        std::size_t size = 0;
        for (std::size_t j = i; j < count && size < record; ++j) {
            const char* p = static_cast<const char*>(buffers[j].data) + (j == i ? skip : 0);
            const std::size_t n = std::min(buffers[j].size - (j == i ? skip : 0), record - size);
            if (n > 0) std::memcpy(gathered + size, p, n);
            size += n;
        }
        return send_some(gathered, size, deadline, ec);
    }

    bool can_notify() const noexcept {
        return session_ && !session_->failed && !session_->close_sent && ::SSL_is_init_finished(session_->ssl) &&
               is_open();
    }

    /// close_notify without waiting (close, the destructor): sent if the socket takes it.
    void notify_close_quietly() noexcept {
        if (!can_notify()) return;
        detail::TlsSession& s = *session_;
        s.io.fd = native_handle();
        s.io.flags = detail::ops::msg_dontwait;
        ::ERR_clear_error();
        if (::SSL_shutdown(s.ssl) >= 0) s.close_sent = true;
        ::ERR_clear_error();
    }

    template <class Op>
    auto or_throw_at(Op&& op, const char* call) -> decltype(op(std::declval<std::error_code&>())) {
        std::error_code ec;
        auto result = op(ec);
        if (ec) detail::throw_tls(ec, detail::context(call, known_peer()));
        return result;
    }
};

namespace detail {
/// `BasicSocketStream<TlsStream>` throws TLS errors as `TlsError` and `CertificateError`.
template <>
struct StreamErrors<TlsStream> {
    [[noreturn]] static void raise(const std::error_code& ec, const std::string& context) { throw_tls(ec, context); }
};
} // namespace detail

/// A `std::iostream` over a TLS stream (see `SocketStream`).
using TlsSocketStream = BasicSocketStream<TlsStream>;

} // namespace sockit
