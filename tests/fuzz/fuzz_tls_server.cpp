// SPDX-License-Identifier: MIT
// Fuzz target: arbitrary bytes as a client's side of a TLS handshake, fed to the server side
// (TlsStream::server) over a connected socket pair. Whatever the bytes, the handshake ends
// with an error (nothing here can finish a handshake), never a timeout, a crash or a leak.
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sockit/tls.hpp>

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}

/// A self-signed certificate for localhost and its key, as PEM text.
std::pair<std::string, std::string> make_certificate() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    require(key != nullptr && cert != nullptr);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    require(X509_sign(cert, key, EVP_sha256()) > 0);
    auto pem = [](auto write) {
        BIO* bio = BIO_new(BIO_s_mem());
        write(bio);
        char* data = nullptr;
        long size = BIO_get_mem_data(bio, &data);
        std::string out(data, static_cast<std::size_t>(size));
        BIO_free(bio);
        return out;
    };
    std::string cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, cert); });
    std::string key_pem = pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(cert);
    EVP_PKEY_free(key);
    return {cert_pem, key_pem};
}

const sockit::TlsContext& server_context() {
    static const sockit::TlsContext context = [] {
        auto pem = make_certificate();
        return sockit::TlsContext::server_from_pem(pem.first, pem.second);
    }();
    return context;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 65536) return 0;
    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    sockit::UnixStream client(sockit::Socket::from_fd(fds[0]));
    sockit::UnixStream server_end(sockit::Socket::from_fd(fds[1]));
    // Room for the whole input and for what the server answers, so that nothing waits.
    client.set_option(sockit::SendBufferSize(1 << 20));
    server_end.set_option(sockit::ReceiveBufferSize(1 << 20));
    server_end.set_option(sockit::SendBufferSize(1 << 20));
    client.send_all(data, size);
    client.shutdown(sockit::Shutdown::write);

    sockit::TlsStream server = sockit::TlsStream::server(server_context(), std::move(server_end));
    server.set_timeout(std::chrono::seconds(5));
    std::error_code ec;
    server.handshake(ec);
    require(ec && ec != std::errc::timed_out);
    char buf[64];
    server.recv(buf, sizeof buf, ec); // the same error again, not a crash
    require(ec && ec != std::errc::timed_out);
    return 0;
}
